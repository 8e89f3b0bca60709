"""The inputs of bench/scale's shapes (issue 34), written once into the directory given.

Each shape is where cost could grow faster than the input: at 1x and 4x for the linearity
checks, and `.tf` files whose parse tree is large for memory. Files that exist are kept.

    python3 bench/shapes.py DIR
"""

import os
import sys


def write(path, lines):
    if os.path.exists(path):
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as out:
        for line in lines:
            out.write(line)
    os.replace(path + ".tmp", path)


def template(n):
    """A template of n resources, a finding on most: buckets, roles that read them, queues,
    log groups."""
    yield "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"
    for i in range(n):
        k = i % 4
        if k == 0:
            yield f"  Bucket{i}:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub 'data-{i}-${{AWS::AccountId}}'\n"
        elif k == 1:
            yield (
                f"  Role{i}:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n"
                "        Statement:\n          - Effect: Allow\n            Principal: {Service: lambda.amazonaws.com}\n"
                "            Action: sts:AssumeRole\n      Policies:\n        - PolicyName: p\n          PolicyDocument:\n"
                "            Statement:\n              - Effect: Allow\n                Action: ['s3:GetObject']\n"
                f"                Resource: !Sub 'arn:aws:s3:::data-{i - 1}-${{AWS::AccountId}}/*'\n"
            )
        elif k == 2:
            yield f"  Queue{i}:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: q{i}\n"
        else:
            yield f"  Logs{i}:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      RetentionInDays: 30\n"


def cross_references(n):
    """n groups of a trail, its bucket and bucket policy, a key and a role: policies that look
    from one resource to others (the bucket a trail delivers to, the policy of a log bucket)."""
    yield "Resources:\n"
    for i in range(n):
        yield (
            f"  B{i}:\n    Type: AWS::S3::Bucket\n"
            f"  P{i}:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      Bucket: !Ref B{i}\n"
            "      PolicyDocument:\n        Statement:\n          - Effect: Allow\n"
            "            Principal: {Service: cloudtrail.amazonaws.com}\n            Action: s3:PutObject\n"
            f"            Resource: !Sub 'arn:aws:s3:::${{B{i}}}/*'\n"
            f"  T{i}:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      S3BucketName: !Ref B{i}\n      IsLogging: true\n"
            f"  K{i}:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy:\n        Statement:\n"
            "          - Effect: Allow\n            Principal: {AWS: !Sub 'arn:aws:iam::${AWS::AccountId}:root'}\n"
            "            Action: kms:*\n            Resource: '*'\n"
            f"  R{i}:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Statement:\n"
            "          - Effect: Allow\n            Principal: {Service: lambda.amazonaws.com}\n            Action: sts:AssumeRole\n"
            "      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]\n"
        )


def small_templates(root, n):
    for i in range(n):
        write(
            os.path.join(root, f"d{i // 1000:03d}", f"t{i}.yaml"),
            [f"Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: b-{i}\n"],
        )


def tf_directory(root, n):
    """One Terraform configuration of n files: a bucket and a trail that logs to it in each."""
    for i in range(n):
        write(
            os.path.join(root, f"m{i:05d}.tf"),
            [
                f'resource "aws_s3_bucket" "b{i}" {{\n  bucket = "b-{i}"\n}}\n\n'
                f'resource "aws_cloudtrail" "t{i}" {{\n  name                  = "t{i}"\n'
                f"  s3_bucket_name        = aws_s3_bucket.b{i}.id\n  is_multi_region_trail = false\n}}\n"
            ],
        )


def identical(n):
    yield "Resources:\n"
    for i in range(n):
        yield f"  B{i}:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: same\n      VersioningConfiguration: {{Status: Enabled}}\n"


def clusters(n):
    """n Neptune clusters that export their audit log, each with its parameter group: LOG022
    asked every group whether it was linked to each cluster."""
    yield "Resources:\n"
    for i in range(n):
        yield (
            f"  C{i}:\n    Type: AWS::Neptune::DBCluster\n    Properties:\n"
            f"      EnableCloudwatchLogsExports: [audit]\n      DBClusterParameterGroupName: !Ref G{i}\n"
            f"  G{i}:\n    Type: AWS::Neptune::DBClusterParameterGroup\n    Properties:\n"
            f"      Family: neptune1\n      Description: d\n      Parameters:\n        neptune_enable_audit_log: {i % 2}\n"
        )


def shared_clusters(n):
    """n Neptune clusters and n parameter groups that all share one name (copies of a template
    side by side; AWS would create one group): every group was linked to every cluster, n^2
    links for LOG022."""
    yield "Resources:\n"
    for i in range(n):
        yield (
            f"  C{i}:\n    Type: AWS::Neptune::DBCluster\n    Properties:\n"
            f"      EnableCloudwatchLogsExports: [audit]\n      DBClusterParameterGroupName: shared\n"
            f"  G{i}:\n    Type: AWS::Neptune::DBClusterParameterGroup\n    Properties:\n"
            f"      Name: shared\n      Family: neptune1\n      Description: d\n"
            f"      Parameters:\n        neptune_enable_audit_log: {int(i % 3 > 0)}\n"
        )


def minified(n):
    """A JSON template on one line (as some generators write it), a finding on each of its n
    buckets: each finding's fingerprint looked for the start of its line from the finding
    back."""
    yield '{"Resources":{'
    yield ",".join(
        f'"B{i}":{{"Type":"AWS::S3::Bucket","Properties":{{"BucketName":"b-{i}",'
        '"VersioningConfiguration":{"Status":"Enabled"}}}'
        for i in range(n)
    )
    yield "}}\n"


def module_calls(out, n):
    """A configuration of n calls of one local module (eight trails and their buckets): each finding of
    an instance looked for its owner among every instance, and each reference of a module's
    resource was matched against every expression of the configuration."""
    module = ['variable "name" {}\n', 'output "bucket" {\n  value = aws_s3_bucket.b0.id\n}\n']
    for j in range(8):
        module.append(f'resource "aws_s3_bucket" "b{j}" {{\n  bucket = "${{var.name}}-logs-{j}"\n}}\n')
        module.append(
            f'resource "aws_cloudtrail" "t{j}" {{\n  name           = "${{var.name}}-{j}"\n'
            f"  s3_bucket_name = aws_s3_bucket.b{j}.id\n}}\n"
        )
    write(os.path.join(out, "mod", "main.tf"), module)
    calls = [f'module "m{i}" {{\n  source = "./mod"\n  name   = "n{i}"\n}}\n' for i in range(n)]
    buckets = ", ".join(f"module.m{i}.bucket" for i in range(n))
    write(os.path.join(out, "main.tf"), calls + [f"locals {{\n  all = [{buckets}]\n}}\n"])


def wide_mapping(keys):
    yield "Mappings:\n  Big:\n"
    for i in range(keys):
        yield f"    K{i}: {{v: x{i}}}\n"
    yield "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !FindInMap [Big, K1, v]\n"


def tf_resources(n):
    for i in range(n):
        tags = "".join(f'  tag_{j} = "value-{i}-{j}"\n' for j in range(10))
        yield f'resource "aws_s3_bucket" "b{i}" {{\n{tags}}}\n'


def tf_chains(step, n=500):
    for c in range(n):
        yield f'resource "aws_s3_bucket" "b{c}" {{\n  bucket = local.x{step * 2000}\n}}\n'


def tf_one_block(n):
    yield 'resource "aws_s3_bucket" "b" {\n'
    for i in range(n):
        yield f'  tag_{i} = "v{i}"\n'
    yield "}\n"


def tf_one_map(n):
    """One object of n keys: hcl-edit compares each key with every one before it."""
    yield "locals {\n  m = {\n"
    for i in range(n):
        yield f'    k{i} = "v{i}"\n'
    yield '  }\n}\n\nresource "aws_s3_bucket" "b" {\n  bucket = local.m.k1\n}\n'


def main(out):
    for scale, tag in ((1, "1x"), (4, "4x")):
        write(os.path.join(out, f"template-{tag}.yaml"), template(25000 * scale))
        small_templates(os.path.join(out, f"dir-{tag}"), 10000 * scale)
        tf_directory(os.path.join(out, f"tf-dir-{tag}"), 2500 * scale)
        write(os.path.join(out, f"identical-{tag}.yaml"), identical(50000 * scale))
        write(os.path.join(out, f"cross-references-{tag}.yaml"), cross_references(5000 * scale))
        write(os.path.join(out, f"wide-mapping-{tag}.yaml"), wide_mapping(200000 * scale))
        write(os.path.join(out, f"clusters-{tag}.yaml"), clusters(20000 * scale))
        write(os.path.join(out, f"shared-clusters-{tag}.yaml"), shared_clusters(5000 * scale))
        write(os.path.join(out, f"minified-{tag}.json"), minified(20000 * scale))
        # 4x stays under the 512 instances a configuration composes.
        module_calls(os.path.join(out, f"modules-{tag}"), 100 * scale)
    write(os.path.join(out, "tf-resources", "main.tf"), tf_resources(40000))
    write(os.path.join(out, "tf-traversals", "main.tf"), tf_chains(".a"))
    write(os.path.join(out, "tf-indexes", "main.tf"), tf_chains("[0]"))
    write(os.path.join(out, "tf-one-block", "main.tf"), tf_one_block(100000))
    write(os.path.join(out, "tf-one-map", "main.tf"), tf_one_map(100000))
    # Over the 16 MiB that hcl-edit parses at once: read a block (or a run of statements) at a
    # time, where they were refused.
    write(os.path.join(out, "tf-resources-42mb", "main.tf"), tf_resources(140000))
    write(os.path.join(out, "tf-traversals-18mb", "main.tf"), tf_chains(".a", 4500))
    write(os.path.join(out, "findings-50mb.yaml"), template(280000))


if __name__ == "__main__":
    main(sys.argv[1])
