-- Stratus Red Team aws.defense-evasion.cloudtrail-lifecycle-rule: a 1-day expiration lifecycle
-- rule on the bucket a trail delivers to (s3:PutBucketLifecycle; CloudTrail also records
-- PutBucketLifecycleConfiguration calls under this name; the second name is listed for safety).
-- One event cannot tell which bucket a trail uses, so, like Panther's rule for this technique, the
-- bucket is recognised by its name containing "trail" (case-insensitive), and "short" means an
-- enabled rule expiring current objects after fewer than 7 days (Expiration.Days 0-6, compared as
-- text: casting to a number could fail the findings task). CloudTrail logs the XML body: a single
-- rule is an object (LifecycleConfiguration.Rule), several are an array; the object form and the
-- first five array entries are checked without FLATTEN. Not matched: disabled rules, longer
-- expirations, transitions to other storage classes, Expiration.Date and
-- NoncurrentVersionExpiration, and buckets not named after a trail (a trail bucket named otherwise
-- is missed: a known gap of the name heuristic). Failed calls match (errorCode in the finding): an
-- attempt to expire the log bucket is the signal.
eventSource = 's3.amazonaws.com'
AND eventName IN ('PutBucketLifecycle', 'PutBucketLifecycleConfiguration')
AND requestParameters:bucketName::string ILIKE '%trail%'
AND (
    (
        requestParameters:LifecycleConfiguration.Rule.Status::string = 'Enabled'
        AND requestParameters:LifecycleConfiguration.Rule.Expiration.Days::string IN ('0', '1', '2', '3', '4', '5', '6')
    )
    OR (
        requestParameters:LifecycleConfiguration.Rule[0].Status::string = 'Enabled'
        AND requestParameters:LifecycleConfiguration.Rule[0].Expiration.Days::string IN ('0', '1', '2', '3', '4', '5', '6')
    )
    OR (
        requestParameters:LifecycleConfiguration.Rule[1].Status::string = 'Enabled'
        AND requestParameters:LifecycleConfiguration.Rule[1].Expiration.Days::string IN ('0', '1', '2', '3', '4', '5', '6')
    )
    OR (
        requestParameters:LifecycleConfiguration.Rule[2].Status::string = 'Enabled'
        AND requestParameters:LifecycleConfiguration.Rule[2].Expiration.Days::string IN ('0', '1', '2', '3', '4', '5', '6')
    )
    OR (
        requestParameters:LifecycleConfiguration.Rule[3].Status::string = 'Enabled'
        AND requestParameters:LifecycleConfiguration.Rule[3].Expiration.Days::string IN ('0', '1', '2', '3', '4', '5', '6')
    )
    OR (
        requestParameters:LifecycleConfiguration.Rule[4].Status::string = 'Enabled'
        AND requestParameters:LifecycleConfiguration.Rule[4].Expiration.Days::string IN ('0', '1', '2', '3', '4', '5', '6')
    )
)
