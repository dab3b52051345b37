-- CIS AWS Foundations 4.4 (v6.0+: 5.4), IAM policy changes. The CIS filter:
--   {($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||
--    ($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||
--    ($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||
--    ($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||
--    ($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||
--    ($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||
--    ($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}
-- The filter has NO eventSource condition, and neither has this query, reproducing it as written:
-- CreatePolicy and DeletePolicy from organizations.amazonaws.com (SCPs and other organization
-- policies) match as well, as they do in the CIS metric filter. Failed attempts (an errorCode)
-- match: CIS counts attempts. Not in the filter, so not matched: SetDefaultPolicyVersion,
-- UpdateAssumeRolePolicy, Put/DeleteRolePermissionsBoundary. Case-sensitive, as the filter.
eventName IN (
    'DeleteGroupPolicy',
    'DeleteRolePolicy',
    'DeleteUserPolicy',
    'PutGroupPolicy',
    'PutRolePolicy',
    'PutUserPolicy',
    'CreatePolicy',
    'DeletePolicy',
    'CreatePolicyVersion',
    'DeletePolicyVersion',
    'AttachRolePolicy',
    'DetachRolePolicy',
    'AttachUserPolicy',
    'DetachUserPolicy',
    'AttachGroupPolicy',
    'DetachGroupPolicy'
)
