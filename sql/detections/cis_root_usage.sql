-- CIS AWS Foundations 4.3 (v6.0+: 5.3; it also backs 1.7, and v1.2's 3.3 and 1.1), usage of the
-- root user. The CIS filter:
--   { $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS &&
--     $.eventType != "AwsServiceEvent" }
-- NOT EXISTS is IS NULL on the uncast VARIANT path: only an absent key is SQL NULL (a JSON null
-- is a VARIANT null, a present key, as the filter sees it). invokedBy set means an AWS service
-- acted for root (e.g. CloudFormation's forward-access calls). != only matches when eventType
-- exists. Failed root sign-ins and denied root calls match too: every root attempt counts.
userIdentity:type::string = 'Root'
AND userIdentity:invokedBy IS NULL
AND eventType != 'AwsServiceEvent'
