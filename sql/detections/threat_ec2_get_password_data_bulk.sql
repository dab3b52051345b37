-- Stratus Red Team aws.credential-access.ec2-get-password-data, as volume: ec2:GetPasswordData on
-- many instances by one principal. Stratus assumes a role without the permission and makes 30
-- calls on fictitious instance IDs, each denied (Client.UnauthorizedOperation); its detection is
-- "principals making a large number of ec2:GetPasswordData calls". Each denied call is also
-- threat_ec2_get_password_data_denied's; this one adds the sweep that succeeds, which no single
-- event tells from a pipeline fetching the password of the instance it launched.
-- This condition selects the candidates: GetPasswordData made by the principal itself
-- (userIdentity.invokedBy absent: not an AWS service acting on a caller's behalf) that succeeded
-- or was denied (errorCode ending in UnauthorizedOperation, as EC2 reports it, or AccessDenied...).
-- Other errors (InvalidInstanceID.NotFound: the caller has the permission and named an instance
-- that does not exist; throttling) do not count.
-- The threshold (the .yml): a finding when one principal (userIdentityArn) has asked for the
-- passwords of at least 10 distinct instances (requestParameters.instanceId) within 10 minutes.
-- - Distinct instances: clients poll a new instance's password until it is available (a few
--   minutes after launch), which never adds up.
-- - 10: a launch fetches the passwords of the few instances it created; Stratus's 30 cross 10
--   within seconds.
-- - 10 minutes: a sweep takes seconds to minutes.
eventSource = 'ec2.amazonaws.com'
AND eventName = 'GetPasswordData'
AND userIdentity:invokedBy IS NULL
AND (
    errorCode IS NULL
    OR errorCode LIKE '%UnauthorizedOperation'
    OR errorCode LIKE 'AccessDenied%'
)
