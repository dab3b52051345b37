-- Stratus Red Team aws.credential-access.ec2-get-password-data: a role without the permission calls
-- ec2:GetPasswordData on many (fictitious) instances and is denied (Client.UnauthorizedOperation).
-- Stratus's detection is volume (many calls by one principal), which this pack does not threshold
-- yet; the precise single-event variant is the denied call: pipelines and administrators who
-- retrieve Windows passwords have ec2:GetPasswordData, so being refused it means the caller is
-- trying for credentials outside its role. EC2 reports the denial as Client.UnauthorizedOperation
-- (matched with the CIS 4.1 pattern, ending in UnauthorizedOperation) and some paths as
-- AccessDenied. The CIS pack's cis_unauthorized_api_calls also sees these events among every
-- denied call; this detection names the credential-access intent. Not matched: successful calls
-- (the launching pipeline's routine, indistinguishable in one event) and other errors such as
-- InvalidInstanceID.NotFound (the caller has the permission).
eventSource = 'ec2.amazonaws.com'
AND eventName = 'GetPasswordData'
AND (errorCode LIKE '%UnauthorizedOperation' OR errorCode LIKE 'AccessDenied%')
