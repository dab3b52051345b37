-- CIS AWS Foundations 4.11 (v6.0+: 5.11), network ACL changes. The CIS filter:
--   { ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) ||
--     ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) ||
--     ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }
-- The filter has no eventSource condition, so none is added here: the names are matched from
-- any service, exactly and case-sensitively, as the filter does. Failed attempts (an errorCode
-- such as Client.UnauthorizedOperation) still match: CIS counts attempts.
eventName IN (
    'CreateNetworkAcl',
    'CreateNetworkAclEntry',
    'DeleteNetworkAcl',
    'DeleteNetworkAclEntry',
    'ReplaceNetworkAclEntry',
    'ReplaceNetworkAclAssociation'
)
