// LOG024: an Amazon MQ broker that streams no logs to CloudWatch Logs: the audit log for
// ActiveMQ (who changed what through the console and JMX), the general log for RabbitMQ, which
// has no audit log.

use crate::support::properties::require_true;
use crate::{Context, Policy};

pub struct Log024;

const AUDIT: &str =
    "streams no audit log to CloudWatch Logs, so management actions on it are not kept";
const GENERAL: &str =
    "streams no general log to CloudWatch Logs, so connections and errors are not kept";

impl Policy for Log024 {
    fn id(&self) -> &'static str {
        "LOG024"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in t.resources_of(&["AWS::AmazonMQ::Broker", "aws_mq_broker"]) {
            let (engine_key, logs, audit, general) = if t.is_cloudformation() {
                ("EngineType", "Logs", "Audit", "General")
            } else {
                ("engine_type", "logs", "audit", "general")
            };
            let engines: Vec<String> = r
                .prop(engine_key)
                .map(|n| {
                    t.texts(n)
                        .into_iter()
                        .map(|(s, _)| s.to_ascii_lowercase())
                        .collect()
                })
                .unwrap_or_default();
            if engines.is_empty() {
                // The engine is required; without a known one there is nothing to judge.
                continue;
            }
            if engines.iter().any(|e| e == "activemq") {
                require_true(cx, r, &[logs, audit], false, AUDIT);
            } else if engines.iter().all(|e| e == "rabbitmq") {
                require_true(cx, r, &[logs, general], false, GENERAL);
            }
        }
    }
}
