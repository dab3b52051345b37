-- CIS AWS Foundations 4.8 (v6.0+: 5.8), S3 bucket policy changes. The CIS filter:
--   { ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) ||
--     ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) ||
--     ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) ||
--     ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) ||
--     ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }
-- The event name is DeleteBucketLifecycle (the seed quickstart misspelled it
-- DeleteBucketLifestyle, which never matches). The eventSource condition keeps out the same
-- event names from S3 Express One Zone (s3express.amazonaws.com) and S3 on Outposts
-- (s3-outposts.amazonaws.com), which the filter does not cover. Failed attempts still match:
-- CIS counts attempts. Matching is case-sensitive, as in the filter.
eventSource = 's3.amazonaws.com'
AND eventName IN (
    'PutBucketAcl',
    'PutBucketPolicy',
    'PutBucketCors',
    'PutBucketLifecycle',
    'PutBucketReplication',
    'DeleteBucketPolicy',
    'DeleteBucketCors',
    'DeleteBucketLifecycle',
    'DeleteBucketReplication'
)
