-- CIS AWS Foundations 4.15 (v6.0+: 5.15), AWS Organizations changes. The CIS filter:
--   { ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") ||
--     ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") ||
--     ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") ||
--     ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") ||
--     ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") ||
--     ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") ||
--     ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") ||
--     ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") ||
--     ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") ||
--     ($.eventName = "UpdateOrganizationalUnit")) }
-- The eventSource condition matters: IAM (CreatePolicy, DeletePolicy), IoT (AttachPolicy,
-- DetachPolicy) and other services log the same event names. Failed attempts (e.g. a member
-- account's LeaveOrganization denied by an SCP) still match: CIS counts attempts. Matching is
-- case-sensitive, as in the filter.
eventSource = 'organizations.amazonaws.com'
AND eventName IN (
    'AcceptHandshake',
    'AttachPolicy',
    'CreateAccount',
    'CreateOrganizationalUnit',
    'CreatePolicy',
    'DeclineHandshake',
    'DeleteOrganization',
    'DeleteOrganizationalUnit',
    'DeletePolicy',
    'DetachPolicy',
    'DisablePolicyType',
    'EnablePolicyType',
    'InviteAccountToOrganization',
    'LeaveOrganization',
    'MoveAccount',
    'RemoveAccountFromOrganization',
    'UpdatePolicy',
    'UpdateOrganizationalUnit'
)
