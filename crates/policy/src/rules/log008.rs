// LOG008: an AWS Config recorder without a delivery channel.

use crate::{Context, Policy};

pub struct Log008;

impl Policy for Log008 {
    fn id(&self) -> &'static str {
        "LOG008"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        let has_channel = t
            .resources_of(&[
                "AWS::Config::DeliveryChannel",
                "aws_config_delivery_channel",
            ])
            .next()
            .is_some();
        if has_channel {
            return;
        }
        for r in t.resources_of(&[
            "AWS::Config::ConfigurationRecorder",
            "aws_config_configuration_recorder",
        ]) {
            cx.report_missing(
                r,
                format!(
                    "Config recorder `{}` has no delivery channel in this template, so the \
                     recorder cannot start and configuration history is not delivered",
                    r.id
                ),
            );
        }
    }
}
