-- Stratus Red Team aws.execution.ssm-start-session: SSM StartSession, an interactive shell (or a
-- port-forwarding tunnel) on a managed instance (requestParameters.target), opened by an IAM
-- user, a role session, a federated user or root. Only the calls a principal makes itself
-- match: a call made by an AWS service on someone's behalf (userIdentity.invokedBy set, or
-- type AWSService) does not. The other Session Manager calls (TerminateSession, ResumeSession,
-- DescribeSessions) do not match. Which sessions are expected cannot be told from one event
-- (who usually opens sessions to which instances); the finding names the principal and target.
-- Failed calls (errorCode set, e.g. AccessDenied, TargetNotConnected) match too: probing for
-- reachable instances is the signal.
eventSource = 'ssm.amazonaws.com'
AND eventName = 'StartSession'
AND userIdentity:invokedBy IS NULL
AND userIdentity:type::string IN ('IAMUser', 'AssumedRole', 'FederatedUser', 'Root')
