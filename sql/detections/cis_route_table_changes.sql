-- CIS AWS Foundations 4.13 (v6.0+: 5.13), route table changes. The CIS filter:
--   { ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) ||
--     ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) ||
--     ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) ||
--     ($.eventName = DisassociateRouteTable) }
-- The list is reproduced as written: DisassociateRouteTable is in it, AssociateRouteTable is
-- not. The filter has no eventSource condition, so none is added: API Gateway's own CreateRoute
-- and DeleteRoute (HTTP and WebSocket API routes) match too, as they do in the CIS filter.
-- Names match exactly and case-sensitively. Failed attempts still match: CIS counts attempts.
eventName IN (
    'CreateRoute',
    'CreateRouteTable',
    'ReplaceRoute',
    'ReplaceRouteTableAssociation',
    'DeleteRouteTable',
    'DeleteRoute',
    'DisassociateRouteTable'
)
