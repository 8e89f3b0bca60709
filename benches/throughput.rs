//! `cargo bench --bench throughput`: generate a synthetic tree of realistic templates and
//! measure files/s and MB/s for a full check and for parse-only over the same files, so that
//! the cost of the policies over loading is visible.
//!
//! Options (environment): `TRIPLINE_BENCH_FILES` (default 5000), `TRIPLINE_BENCH_RUNS` (default
//! 5; the median is reported), `TRIPLINE_BENCH_DIR` (default `target/bench-tree`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tripline::engine::{Engine, EngineOptions, Selection};
use tripline::policy::PolicySettings;
use tripline::walk::{self, WalkOptions};

/// A small deterministic generator (xorshift64*), so every run measures the same tree.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Log-uniform between `lo` and `hi`: many small templates, some large ones.
    fn log_uniform(&mut self, lo: f64, hi: f64) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (lo * (hi / lo).powf(u)) as usize
    }
}

const REGIONS: &[&str] = &["us-east-1", "eu-west-1", "us-west-2", "ap-south-1"];

fn yaml_resource(rng: &mut Rng, i: usize, out: &mut String) {
    let region = REGIONS[rng.below(REGIONS.len() as u64) as usize];
    match rng.below(6) {
        0 => write!(
            out,
            "  Bucket{i}:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub \"${{AWS::StackName}}-data-{i}\"\n      VersioningConfiguration:\n        Status: Enabled\n      LoggingConfiguration:\n        DestinationBucketName: !Ref LogBucket\n        LogFilePrefix: b{i}/\n      Tags:\n        - Key: team\n          Value: platform\n"
        ),
        1 => write!(
            out,
            "  Role{i}:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n            Principal:\n              Service: lambda.amazonaws.com\n            Action: sts:AssumeRole\n      Policies:\n        - PolicyName: app\n          PolicyDocument:\n            Version: \"2012-10-17\"\n            Statement:\n              - Effect: Allow\n                Action:\n                  - s3:GetObject\n                  - s3:PutObject\n                Resource: !Sub \"arn:aws:s3:::${{AWS::StackName}}-data-{i}/*\"\n              - Effect: Allow\n                Action: [\"sqs:SendMessage\", \"cloudtrail:Describe*\"]\n                Resource: arn:aws:sqs:{region}:123456789012:queue-{i}\n"
        ),
        2 => write!(
            out,
            "  Function{i}:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n      Handler: index.handler\n      Role: !GetAtt Role{i}.Arn\n      Timeout: 30\n      Environment:\n        Variables:\n          TABLE: !Ref Table\n          REGION: !Ref AWS::Region\n      Code:\n        ZipFile: |\n          import json\n          def handler(event, context):\n              return {{\"statusCode\": 200, \"body\": json.dumps(event)}}\n"
        ),
        3 => write!(
            out,
            "  Trail{i}:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      S3BucketName: !Ref LogBucket\n      IsLogging: true\n      IsMultiRegionTrail: {}\n      EnableLogFileValidation: true\n      KMSKeyId: !GetAtt Key.Arn\n",
            rng.below(2) == 0
        ),
        4 => write!(
            out,
            "  Queue{i}:\n    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimeout: 60\n      RedrivePolicy:\n        deadLetterTargetArn: !If [IsProd, \"arn:aws:sqs:{region}:123456789012:dlq\", !Ref AWS::NoValue]\n        maxReceiveCount: 5\n"
        ),
        _ => write!(
            out,
            "  Alarm{i}:\n    Type: AWS::CloudWatch::Alarm\n    Properties:\n      AlarmName: !Join [\"-\", [!Ref AWS::StackName, errors, \"{i}\"]]\n      MetricName: Errors\n      Namespace: AWS/Lambda\n      Statistic: Sum\n      Period: 60\n      EvaluationPeriods: 1\n      Threshold: 1\n      ComparisonOperator: GreaterThanOrEqualToThreshold\n      AlarmActions:\n        - !Sub arn:aws:sns:${{AWS::Region}}:${{AWS::AccountId}}:alerts\n"
        ),
    }
    .unwrap();
}

fn yaml_template(rng: &mut Rng, lines: usize) -> String {
    let mut out = String::from(
        "AWSTemplateFormatVersion: \"2010-09-09\"\nDescription: synthetic benchmark template\nParameters:\n  Env:\n    Type: String\n    Default: prod\nConditions:\n  IsProd: !Equals [!Ref Env, prod]\nResources:\n",
    );
    let mut i = 0;
    while out.lines().count() < lines {
        yaml_resource(rng, i, &mut out);
        i += 1;
    }
    out
}

fn json_template(rng: &mut Rng, lines: usize) -> String {
    let mut resources = Vec::new();
    let mut count = 0;
    let mut i = 0;
    while count < lines {
        let region = REGIONS[rng.below(REGIONS.len() as u64) as usize];
        let r = match rng.below(3) {
            0 => format!(
                "    \"Policy{i}\": {{\n      \"Type\": \"AWS::IAM::ManagedPolicy\",\n      \"Properties\": {{\n        \"PolicyDocument\": {{\n          \"Version\": \"2012-10-17\",\n          \"Statement\": [\n            {{\n              \"Effect\": \"Allow\",\n              \"Action\": [\"logs:CreateLogStream\", \"logs:PutLogEvents\"],\n              \"Resource\": {{\"Fn::Sub\": \"arn:aws:logs:{region}:${{AWS::AccountId}}:log-group:/app/{i}:*\"}}\n            }}\n          ]\n        }}\n      }}\n    }}"
            ),
            1 => format!(
                "    \"Topic{i}\": {{\n      \"Type\": \"AWS::SNS::Topic\",\n      \"Properties\": {{\n        \"TopicName\": {{\"Fn::Join\": [\"-\", [{{\"Ref\": \"AWS::StackName\"}}, \"topic{i}\"]]}},\n        \"KmsMasterKeyId\": \"alias/aws/sns\"\n      }}\n    }}"
            ),
            _ => format!(
                "    \"Group{i}\": {{\n      \"Type\": \"AWS::Logs::LogGroup\",\n      \"Properties\": {{\n        \"LogGroupName\": \"/app/{i}\",\n        \"RetentionInDays\": 90\n      }}\n    }}"
            ),
        };
        count += r.lines().count();
        resources.push(r);
        i += 1;
    }
    format!(
        "{{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\",\n  \"Resources\": {{\n{}\n  }}\n}}\n",
        resources.join(",\n")
    )
}

fn plan_json(rng: &mut Rng, lines: usize) -> String {
    let mut resources = Vec::new();
    let mut count = 0;
    let mut i = 0;
    while count < lines {
        let r = format!(
            "      {{\n        \"address\": \"aws_s3_bucket.b{i}\",\n        \"mode\": \"managed\",\n        \"type\": \"aws_s3_bucket\",\n        \"name\": \"b{i}\",\n        \"provider_name\": \"registry.terraform.io/hashicorp/aws\",\n        \"values\": {{\n          \"bucket\": \"data-{i}\",\n          \"force_destroy\": false,\n          \"tags\": {{\"team\": \"platform\"}}\n        }}\n      }}"
        );
        count += r.lines().count();
        resources.push(r);
        i += 1;
        if rng.below(10) == 0 {
            resources.push(format!(
                "      {{\n        \"address\": \"aws_cloudtrail.t{i}\",\n        \"mode\": \"managed\",\n        \"type\": \"aws_cloudtrail\",\n        \"name\": \"t{i}\",\n        \"values\": {{\"name\": \"t{i}\", \"s3_bucket_name\": \"logs\", \"is_multi_region_trail\": true, \"enable_log_file_validation\": true}}\n      }}"
            ));
        }
    }
    format!(
        "{{\n  \"format_version\": \"1.2\",\n  \"terraform_version\": \"1.9.5\",\n  \"planned_values\": {{\n    \"root_module\": {{\n      \"resources\": [\n{}\n      ]\n    }}\n  }},\n  \"configuration\": {{\"provider_config\": {{\"aws\": {{\"name\": \"aws\", \"expressions\": {{\"region\": {{\"constant_value\": \"us-east-1\"}}}}}}}}}}\n}}\n",
        resources.join(",\n")
    )
}

/// Write the tree once; later runs reuse it when the file count matches.
fn generate(dir: &Path, files: usize) -> u64 {
    let marker = dir.join(format!(".complete-{files}"));
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(dir);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for n in 0..files {
            let lines = rng.log_uniform(50.0, 5000.0);
            let sub = dir.join(format!("stack{:03}", n % 100));
            std::fs::create_dir_all(&sub).unwrap();
            let (name, text) = match rng.below(10) {
                0..=5 => (format!("t{n}.yaml"), yaml_template(&mut rng, lines)),
                6..=8 => (format!("t{n}.json"), json_template(&mut rng, lines)),
                _ => (format!("p{n}.tfplan.json"), plan_json(&mut rng, lines)),
            };
            std::fs::write(sub.join(name), text).unwrap();
        }
        std::fs::write(&marker, "").unwrap();
    }
    walk::discover(&[dir.to_path_buf()], &WalkOptions::default())
        .unwrap()
        .files
        .iter()
        .map(|c| std::fs::metadata(&c.path).unwrap().len())
        .sum()
}

/// A tree of Terraform native-syntax configurations: `dirs` directories, each a module split
/// across files the way real ones are (resources, IAM documents, variables, locals), so that
/// the directory loading is measured too.
fn generate_hcl(dir: &Path, dirs: usize) -> u64 {
    let mut rng = Rng(0x7f4a_7c15_9e37_79b9);
    let _ = std::fs::remove_dir_all(dir);
    let mut bytes = 0u64;
    for d in 0..dirs {
        let module = dir.join(format!("m{:04}", d));
        std::fs::create_dir_all(&module).unwrap();
        let mut main = String::new();
        let mut iam = String::new();
        let resources = rng.log_uniform(4.0, 120.0);
        for i in 0..resources {
            let region = REGIONS[rng.below(REGIONS.len() as u64) as usize];
            match rng.below(5) {
                0 => write!(
                    main,
                    "resource \"aws_s3_bucket\" \"b{i}\" {{\n  bucket = \"${{local.prefix}}-data-{i}\"\n  tags = {{\n    team = \"platform\"\n  }}\n}}\n\nresource \"aws_s3_bucket_logging\" \"b{i}\" {{\n  bucket        = aws_s3_bucket.b{i}.id\n  target_bucket = var.log_bucket\n  target_prefix = \"b{i}/\"\n}}\n\n"
                ),
                1 => write!(
                    iam,
                    "resource \"aws_iam_role\" \"r{i}\" {{\n  name               = \"role-{i}\"\n  assume_role_policy = data.aws_iam_policy_document.trust{i}.json\n}}\n\ndata \"aws_iam_policy_document\" \"trust{i}\" {{\n  statement {{\n    actions = [\"sts:AssumeRole\"]\n    principals {{\n      type        = \"Service\"\n      identifiers = [\"lambda.amazonaws.com\"]\n    }}\n  }}\n}}\n\nresource \"aws_iam_role_policy\" \"r{i}\" {{\n  role = aws_iam_role.r{i}.id\n  policy = jsonencode({{\n    Version = \"2012-10-17\"\n    Statement = [{{\n      Effect   = \"Allow\"\n      Action   = [\"s3:GetObject\", \"sqs:SendMessage\"]\n      Resource = \"arn:aws:sqs:{region}:123456789012:queue-{i}\"\n    }}]\n  }})\n}}\n\n"
                ),
                2 => write!(
                    main,
                    "resource \"aws_cloudtrail\" \"t{i}\" {{\n  name                       = \"trail-{i}\"\n  s3_bucket_name             = var.log_bucket\n  is_multi_region_trail      = var.multi_region\n  enable_log_file_validation = true\n  kms_key_id                 = var.kms_key\n\n  dynamic \"event_selector\" {{\n    for_each = var.selectors\n    content {{\n      read_write_type = event_selector.value\n    }}\n  }}\n}}\n\n"
                ),
                3 => write!(
                    main,
                    "resource \"aws_cloudwatch_log_group\" \"g{i}\" {{\n  name              = \"/app/{i}\"\n  retention_in_days = var.retention\n  kms_key_id        = var.kms_key\n}}\n\n"
                ),
                _ => write!(
                    main,
                    "resource \"aws_sqs_queue\" \"q{i}\" {{\n  name                      = \"queue-{i}\"\n  message_retention_seconds = var.env == \"prod\" ? 1209600 : 86400\n  redrive_policy = jsonencode({{\n    deadLetterTargetArn = \"arn:aws:sqs:{region}:123456789012:dlq\"\n    maxReceiveCount     = 5\n  }})\n}}\n\n"
                ),
            }
            .unwrap();
        }
        let variables = "variable \"log_bucket\" {\n  type    = string\n  default = \"central-logs\"\n}\n\nvariable \"multi_region\" {\n  type    = bool\n  default = true\n}\n\nvariable \"kms_key\" {\n  type = string\n}\n\nvariable \"retention\" {\n  type    = number\n  default = 365\n}\n\nvariable \"selectors\" {\n  type    = list(string)\n  default = [\"All\"]\n}\n\nvariable \"env\" {\n  type = string\n}\n\nlocals {\n  prefix = \"corp\"\n}\n\nprovider \"aws\" {\n  region = \"us-east-1\"\n}\n";
        for (name, text) in [
            ("main.tf", main.as_str()),
            ("iam.tf", iam.as_str()),
            ("variables.tf", variables),
        ] {
            std::fs::write(module.join(name), text).unwrap();
            bytes += text.len() as u64;
        }
    }
    bytes
}

fn median(mut d: Vec<Duration>) -> Duration {
    d.sort();
    d[d.len() / 2]
}

/// A fresh engine per run, as each `tripline check` has: the engine caches what a run reuses
/// (parsed `.tf` files, directory findings), which must not carry over from run to run here.
fn measure(engine: &dyn Fn() -> Engine, dir: &Path, runs: usize) -> (Duration, usize, usize) {
    let mut times = Vec::new();
    let mut files = 0;
    let mut findings = 0;
    for _ in 0..runs {
        let engine = &engine();
        let start = Instant::now();
        let found = walk::discover(&[dir.to_path_buf()], &WalkOptions::default()).unwrap();
        let reports = tripline::run::check_files(engine, &found.files, &found.errors);
        times.push(start.elapsed());
        files = reports.len();
        findings = reports.iter().map(|r| r.findings.len()).sum();
    }
    (median(times), files, findings)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and expects speed.
    let files: usize = std::env::var("TRIPLINE_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let runs: usize = std::env::var("TRIPLINE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let dir = std::env::var("TRIPLINE_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-tree"));
    let bytes = generate(&dir, files);
    let mb = bytes as f64 / 1e6;
    println!("tree: {files} files, {mb:.1} MB, in {}", dir.display());
    println!("threads: {}", rayon::current_num_threads());

    let settings = PolicySettings {
        allowed_regions: Some(vec!["us-east-1".into(), "eu-west-1".into()]),
    };
    let parse_only = || {
        Engine::new(
            settings.clone(),
            Selection::default(),
            EngineOptions {
                parse_only: true,
                ..EngineOptions::default()
            },
        )
    };
    let full = || {
        Engine::new(
            settings.clone(),
            Selection::default(),
            EngineOptions::default(),
        )
    };

    // Warm the page cache so both modes read from memory.
    measure(&parse_only, &dir, 1);
    let (t_parse, n, _) = measure(&parse_only, &dir, runs);
    let (t_full, _, findings) = measure(&full, &dir, runs);
    let row = |name: &str, t: Duration| {
        println!(
            "{name:<11} {:>8.1} ms  {:>9.0} files/s  {:>7.1} MB/s",
            t.as_secs_f64() * 1e3,
            n as f64 / t.as_secs_f64(),
            mb / t.as_secs_f64()
        );
    };
    println!("median of {runs} runs:");
    row("parse-only", t_parse);
    row("full check", t_full);
    println!(
        "full / parse-only: {:.2}x  ({findings} findings)",
        t_full.as_secs_f64() / t_parse.as_secs_f64()
    );

    // Terraform native syntax, on one thread so that the figure is per core.
    let hcl_dir = dir.with_file_name("bench-tree-hcl");
    let hcl_bytes = generate_hcl(&hcl_dir, (files / 10).max(1));
    let hcl_mb = hcl_bytes as f64 / 1e6;
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    let (h_parse, h_files, _) = one.install(|| {
        measure(&parse_only, &hcl_dir, 1);
        measure(&parse_only, &hcl_dir, runs)
    });
    let (h_full, _, h_findings) = one.install(|| measure(&full, &hcl_dir, runs));
    println!("terraform .tf: {h_files} files, {hcl_mb:.1} MB, one thread:");
    for (name, t) in [("parse-only", h_parse), ("full check", h_full)] {
        println!(
            "{name:<11} {:>8.1} ms  {:>9.0} files/s  {:>7.1} MB/s per core",
            t.as_secs_f64() * 1e3,
            h_files as f64 / t.as_secs_f64(),
            hcl_mb / t.as_secs_f64()
        );
    }
    println!(
        "full / parse-only: {:.2}x  ({h_findings} findings)",
        h_full.as_secs_f64() / h_parse.as_secs_f64()
    );
}
