-- Stratus Red Team aws.initial-access.console-login-without-mfa signs in as an IAM user with a
-- password alone; cis_console_login_without_mfa (CIS 4.2) already matches exactly that
-- (ConsoleLogin, IAMUser, MFAUsed not "Yes", success), so it is not repeated here. This is the
-- case the CIS control leaves out: the root user signing in successfully without MFA. Every
-- root sign-in is also cis_root_usage's (CIS 4.3), but a root password alone being enough to get
-- in means the root user has no MFA device, or a login went around it: a finding of its own,
-- at a higher severity. As in the CIS filter, != only matches when MFAUsed exists (a missing
-- field is NULL). Failed root sign-ins (ConsoleLogin "Failure") do not match: they are
-- cis_root_usage's and cis_console_auth_failures', and MFAUsed says nothing about a failed
-- password. Root sign-ins with MFA do not match.
eventSource = 'signin.amazonaws.com'
AND eventName = 'ConsoleLogin'
AND userIdentity:type::string = 'Root'
AND responseElements:ConsoleLogin::string = 'Success'
AND additionalEventData:MFAUsed::string != 'Yes'
