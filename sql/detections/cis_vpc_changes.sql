-- CIS AWS Foundations 4.14 (v6.0+: 5.14), VPC changes. The CIS filter:
--   { ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) ||
--     ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) ||
--     ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) ||
--     ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) ||
--     ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) ||
--     ($.eventName = EnableVpcClassicLink) }
-- Exact names: CreateDefaultVpc and the VPC endpoint calls (CreateVpcEndpoint,
-- ModifyVpcEndpoint) are not in the list and do not match. The ClassicLink calls are kept
-- although EC2-Classic is retired. The filter has no eventSource condition, so none is added;
-- names match case-sensitively. Failed attempts still match: CIS counts attempts.
eventName IN (
    'CreateVpc',
    'DeleteVpc',
    'ModifyVpcAttribute',
    'AcceptVpcPeeringConnection',
    'CreateVpcPeeringConnection',
    'DeleteVpcPeeringConnection',
    'RejectVpcPeeringConnection',
    'AttachClassicLinkVpc',
    'DetachClassicLinkVpc',
    'DisableVpcClassicLink',
    'EnableVpcClassicLink'
)
