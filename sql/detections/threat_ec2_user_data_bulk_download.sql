-- Stratus Red Team aws.discovery.ec2-download-user-data: ec2:DescribeInstanceAttribute with
-- attribute userData on many instances, to read the boot scripts in which credentials are often
-- hard-coded (Pacu's ec2__download_userdata does it for every instance it lists). Stratus assumes
-- a role without the permission and makes 15 calls on fictitious instance IDs, each denied
-- (Client.UnauthorizedOperation). Reading one instance's user data is routine (the console,
-- troubleshooting a boot script): the signal is volume, many instances by one principal.
-- This condition selects the candidates: DescribeInstanceAttribute with
-- requestParameters.attribute 'userData'; made by the principal itself (userIdentity.invokedBy
-- absent: not an AWS service acting on a caller's behalf); that succeeded or were denied (errorCode
-- ending in UnauthorizedOperation, as EC2 reports it, or AccessDenied...). Other attributes
-- (disableApiTermination, instanceType, ...) and other errors (InvalidInstanceID.NotFound: the
-- caller has the permission and named an instance that does not exist; throttling) do not count.
-- The threshold (the .yml): a finding when one principal (userIdentityArn) has asked for the user
-- data of at least 10 distinct instances (requestParameters.instanceId) within 10 minutes.
-- - Distinct instances, so re-reading one instance's script while fixing it never adds up.
-- - 10, Panther's figure for this technique: Stratus's 15 cross it within seconds.
-- - 10 minutes: a sweep takes seconds to minutes.
-- Infrastructure-as-code plans read the user data of every instance they manage (Terraform's
-- aws_instance refresh), so this is low severity: tune it to the pipelines that are expected.
eventSource = 'ec2.amazonaws.com'
AND eventName = 'DescribeInstanceAttribute'
AND requestParameters:attribute::string = 'userData'
AND userIdentity:invokedBy IS NULL
AND (
    errorCode IS NULL
    OR errorCode LIKE '%UnauthorizedOperation'
    OR errorCode LIKE 'AccessDenied%'
)
