-- Stratus Red Team aws.persistence.sts-federation-token: an IAM user (or root) obtains temporary
-- credentials with sts:GetFederationToken. The federated-user session they return keeps working
-- for up to 36 hours after the user's access key is deactivated or deleted, and its calls appear
-- under a federated-user ARN of a name the caller chose, so it is a way to outlive key
-- revocation. Modern setups federate through IAM Identity Center or AssumeRole, so the call
-- itself is rare; every one matches.
-- Not matched: GetSessionToken (MFA sessions of the user itself), AssumeRole,
-- AssumeRoleWithSAML/WebIdentity. Failed calls match (errorCode is in the finding): the attempt
-- is the signal.
eventSource = 'sts.amazonaws.com'
AND eventName = 'GetFederationToken'
