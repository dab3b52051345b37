-- CIS AWS Foundations 4.10 (v6.0+: 5.10), security group changes. The CIS filter:
--   { ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress)
--     || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress)
--     || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup)
--     || ($.eventName = ModifySecurityGroupRules) }
-- The filter has no eventSource condition, so none is added here. Description-only updates
-- (UpdateSecurityGroupRuleDescriptions*) and reads (Describe*) are not in it. Failed attempts
-- (Client.UnauthorizedOperation, Client.DependencyViolation, ...) still match: CIS counts
-- attempts. Matching is case-sensitive, as in the filter.
eventName IN (
    'AuthorizeSecurityGroupIngress',
    'AuthorizeSecurityGroupEgress',
    'RevokeSecurityGroupIngress',
    'RevokeSecurityGroupEgress',
    'CreateSecurityGroup',
    'DeleteSecurityGroup',
    'ModifySecurityGroupRules'
)
