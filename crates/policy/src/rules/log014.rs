// LOG014: an API Gateway stage without access logging.

use crate::support::properties::require_present;
use crate::{Context, Policy};

pub struct Log014;

/// Resource type and the path of its access-log destination.
const STAGES: &[(&str, &[&str])] = &[
    (
        "AWS::ApiGateway::Stage",
        &["AccessLogSetting", "DestinationArn"],
    ),
    (
        "AWS::ApiGatewayV2::Stage",
        &["AccessLogSettings", "DestinationArn"],
    ),
    (
        "AWS::Serverless::Api",
        &["AccessLogSetting", "DestinationArn"],
    ),
    (
        "AWS::Serverless::HttpApi",
        &["AccessLogSettings", "DestinationArn"],
    ),
    (
        "aws_api_gateway_stage",
        &["access_log_settings", "destination_arn"],
    ),
    (
        "aws_apigatewayv2_stage",
        &["access_log_settings", "destination_arn"],
    ),
];

impl Policy for Log014 {
    fn id(&self) -> &'static str {
        "LOG014"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for (rtype, path) in STAGES {
            for r in t.resources_of(std::slice::from_ref(rtype)) {
                require_present(
                    cx,
                    r,
                    path,
                    "has no access logging, so who called the API and how goes unrecorded",
                );
            }
        }
        deployment_stages(cx);
    }
}

/// A deployment with `StageName` (`stage_name`) creates that stage itself: a stage too. In
/// CloudFormation its `StageDescription` may set access logging; Terraform's deployment cannot.
fn deployment_stages(cx: &mut Context<'_, '_>) {
    let t = cx.template;
    for r in t.resources_of(&["AWS::ApiGateway::Deployment"]) {
        if r.prop("StageName").is_none() {
            continue;
        }
        require_present(
            cx,
            r,
            &["StageDescription", "AccessLogSetting", "DestinationArn"],
            "creates its stage through `StageName` with no access logging, so who called the API \
             and how goes unrecorded",
        );
    }
    for r in t.resources_of(&["aws_api_gateway_deployment"]) {
        let Some(name) = r.prop("stage_name") else {
            continue;
        };
        let stage = t
            .texts(name)
            .into_iter()
            .next()
            .map_or_else(|| "its stage".to_string(), |(s, _)| format!("stage `{s}`"));
        cx.report(
            r,
            name.span,
            format!(
                "`{}` creates {stage} through `stage_name`, which cannot log access, so who \
                 called the API and how goes unrecorded (stage_name is set)",
                r.id
            ),
        );
    }
}
