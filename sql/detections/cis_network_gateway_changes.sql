-- CIS AWS Foundations 4.12 (v6.0+: 5.12), network gateway changes. The CIS filter:
--   { ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) ||
--     ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) ||
--     ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }
-- Only customer and internet gateways: NAT, transit, VPN and egress-only internet gateways are
-- not in the list and do not match. The filter has no eventSource condition, so none is added;
-- names match exactly and case-sensitively. Failed attempts still match: CIS counts attempts.
eventName IN (
    'CreateCustomerGateway',
    'DeleteCustomerGateway',
    'AttachInternetGateway',
    'CreateInternetGateway',
    'DeleteInternetGateway',
    'DetachInternetGateway'
)
