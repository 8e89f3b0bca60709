// LOG015: a REST API Gateway stage without execution logging.

use crate::model::lookup::{Lookup, lookup};
use crate::model::refs::referrers;
use crate::{Context, Policy};

pub struct Log015;

const WHAT: &str = "has no execution logging (LoggingLevel INFO or ERROR), so API errors and \
                    authorizer decisions go unrecorded";

fn is_logging_level(s: &str) -> bool {
    s.eq_ignore_ascii_case("INFO") || s.eq_ignore_ascii_case("ERROR")
}

impl Policy for Log015 {
    fn id(&self) -> &'static str {
        "LOG015"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        if t.is_cloudformation() {
            for r in t.resources_of(&["AWS::ApiGateway::Stage", "AWS::Serverless::Api"]) {
                let mut on = false;
                let mut unknown = false;
                let mut off = None;
                // Where `MethodSettings` is written without a level: the fix goes there.
                let mut settings_at = None;
                for hit in lookup(t, r, &["MethodSettings", "LoggingLevel"]) {
                    match hit {
                        Lookup::Found(v) => match v.val.known_text() {
                            Some(s) if is_logging_level(s) => on = true,
                            Some(_) => off = Some(v.span),
                            None => unknown = true,
                        },
                        Lookup::Unknown => unknown = true,
                        Lookup::Missing(span) if span != r.anchor => {
                            settings_at.get_or_insert(span);
                        }
                        Lookup::Missing(_) => {}
                    }
                }
                if on || unknown {
                    continue;
                }
                match off.or(settings_at) {
                    Some(span) if off.is_none() => cx.report(
                        r,
                        span,
                        format!("`{}` {WHAT} (MethodSettings.LoggingLevel is not set)", r.id),
                    ),
                    Some(span) => cx.report(r, span, format!("`{}` {WHAT}", r.id)),
                    None => cx.report_missing(
                        r,
                        format!("`{}` {WHAT} (MethodSettings.LoggingLevel is not set)", r.id),
                    ),
                }
            }
            return;
        }
        for r in t.resources_of(&["aws_api_gateway_stage"]) {
            let settings = referrers(t, r, &["stage_name"], &["aws_api_gateway_method_settings"]);
            let mut on = false;
            let mut unknown = false;
            for s in &settings {
                for hit in lookup(t, s, &["settings", "logging_level"]) {
                    match hit {
                        Lookup::Found(v) => match v.val.known_text() {
                            Some(l) if is_logging_level(l) => on = true,
                            Some(_) => {}
                            None => unknown = true,
                        },
                        Lookup::Unknown => unknown = true,
                        Lookup::Missing(_) => {}
                    }
                }
            }
            if on || unknown {
                continue;
            }
            let message = format!(
                "`{}` {WHAT} (no aws_api_gateway_method_settings enables it)",
                r.id
            );
            // Method settings that leave logging off: the fix goes in them, the stage related.
            match settings.first() {
                Some(s) => {
                    let span = s.prop("settings").map_or(s.anchor, |n| n.span);
                    cx.report_related(
                        r,
                        span,
                        message,
                        vec![(r.anchor, format!("the stage `{}`", r.id))],
                    );
                }
                None => cx.report_missing(r, message),
            }
        }
    }
}
