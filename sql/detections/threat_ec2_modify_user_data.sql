-- Stratus Red Team aws.execution.ec2-user-data: ModifyInstanceAttribute replacing an instance's
-- user data. User data scripts run as root when the instance starts, so an attacker who can
-- stop, modify and start an instance runs code on it (and reads its role's credentials).
-- CloudTrail logs the change either as requestParameters.userData (the content replaced by
-- "<sensitiveDataRemoved>", as in Stratus's detonation; or an object holding it) or as
-- requestParameters.attribute "userData" with a value; both match. Other attribute changes
-- (instanceType, disableApiTermination, groupSet, ...) do not. The StopInstances /
-- StartInstances around it are not correlated here (no sequences in this framework yet).
-- Failed calls (errorCode set, e.g. IncorrectInstanceState on a running instance) match too:
-- the attempt is the signal.
eventSource = 'ec2.amazonaws.com'
AND eventName = 'ModifyInstanceAttribute'
AND (
    requestParameters:userData::string IS NOT NULL
    OR requestParameters:attribute::string = 'userData'
)
