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
    }
}
