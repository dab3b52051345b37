-- Stratus Red Team aws.defense-evasion.cloudtrail-lifecycle-rule: a 1-day expiration lifecycle
-- rule on the bucket a trail delivers to (s3:PutBucketLifecycle; CloudTrail also records
-- PutBucketLifecycleConfiguration calls under this name; the second name is listed for safety).
-- One event cannot tell which bucket a trail uses, so, like Panther's rule for this technique, the
-- bucket is recognised by its name containing "trail" (case-insensitive), and "short" means a rule
-- expiring current objects after fewer than 7 days (Expiration.Days 0-6), in a configuration with
-- an enabled rule. CloudTrail logs the XML body: one rule is an object
-- (LifecycleConfiguration.Rule), several are an array; both are read on the rules' JSON text
-- (compact on both engines; Days is Expiration's first key, alphabetically and as S3 writes it),
-- without casting Days to a number (a failed cast would fail the findings task) and without FLATTEN
-- or array indexes (the benchmark's baseline cannot translate them). Known limits: a disabled short
-- rule next to an enabled long one matches (a false positive); a trail bucket named after
-- neither a trail nor Control Tower's logs is missed; any Expiration.Date matches (a date is
-- not compared). Not matched: disabled configurations, longer expirations, transitions to other
-- storage classes, NoncurrentVersionExpiration and
-- AbortIncompleteMultipartUpload. Failed calls match (errorCode in the finding): an attempt to
-- expire the log bucket is the signal.
eventSource = 's3.amazonaws.com'
AND eventName IN ('PutBucketLifecycle', 'PutBucketLifecycleConfiguration')
AND (
    requestParameters:bucketName::string ILIKE '%trail%'
    -- AWS Control Tower's organization log bucket: aws-controltower-logs-<account>-<region>.
    OR requestParameters:bucketName::string ILIKE '%controltower-logs%'
)
AND requestParameters:LifecycleConfiguration.Rule::string LIKE '%"Status":"Enabled"%'
AND (
    requestParameters:LifecycleConfiguration.Rule::string RLIKE '.*"Expiration":[{]"Days":[0-6][,}].*'
    -- A date instead of days: a date already past expires every log file at once.
    OR requestParameters:LifecycleConfiguration.Rule::string LIKE '%"Expiration":{"Date":%'
)
