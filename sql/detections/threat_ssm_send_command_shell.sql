-- Stratus Red Team aws.execution.ssm-send-command: SSM SendCommand running an arbitrary shell
-- script on managed instances, requestParameters.documentName AWS-RunShellScript (Linux, as
-- Stratus does) or AWS-RunPowerShellScript (Windows). Commands then run as root / SYSTEM on
-- every targeted instance (instanceIds or tag targets). The commands themselves are not logged
-- (parameters "HIDDEN_DUE_TO_SECURITY_REASONS"). Documents with a fixed purpose do not match:
-- AWS-RunPatchBaseline (Patch Manager and maintenance windows), AWS-ConfigureAWSPackage,
-- AWS-UpdateSSMAgent, custom documents. Document names are case-sensitive in SSM, so the
-- comparison is exact; a document ARN (arn:aws:ssm:...:document/AWS-RunShellScript) is matched
-- by its suffix. Failed calls (errorCode set) match too: an attempt to run commands on instances
-- is worth a look, and errorCode is in the finding.
eventSource = 'ssm.amazonaws.com'
AND eventName = 'SendCommand'
AND (
    requestParameters:documentName::string IN ('AWS-RunShellScript', 'AWS-RunPowerShellScript')
    OR requestParameters:documentName::string LIKE '%:document/AWS-RunShellScript'
    OR requestParameters:documentName::string LIKE '%:document/AWS-RunPowerShellScript'
)
-- A maintenance window or State Manager sends it for the account (invokedBy set): scheduled
-- operations, not a person or stolen credentials.
AND userIdentity:invokedBy IS NULL
