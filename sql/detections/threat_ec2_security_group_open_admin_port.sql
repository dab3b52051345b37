-- Stratus Red Team aws.exfiltration.ec2-security-group-open-port-22-ingress: an ingress rule
-- opens SSH (22) or RDP (3389) to the whole internet. AuthorizeSecurityGroupIngress logs one of
-- two request shapes, and both are read:
-- - the flat (legacy) parameters, as Stratus sends them: requestParameters.cidrIp, ipProtocol,
--   fromPort, toPort. Any CIDR ending in /0 is the whole IPv4 internet (CloudTrail keeps the
--   host bits as sent). It matches protocol -1 (all traffic, any ports) or a port range
--   [fromPort, toPort] that contains 22 or 3389; the ports are compared as numbers through
--   TRY_CAST of their text, which cannot fail.
-- - the ipPermissions list (requestParameters.ipPermissions.items[], each with its own
--   ipRanges.items[].cidrIp / ipv6Ranges.items[].cidrIpv6 and ports). It is read as its JSON text
--   (no FLATTEN, so it runs the same on every engine): it matches when 0.0.0.0/0 or ::/0 appears
--   and a permission is protocol -1, has 22 or 3389 as fromPort or toPort, or is the full
--   range 0-65535. A value's end is `,` or `}` (keys are in sent order on one engine and
--   sorted on Snowflake). Limits of reading it as text: a range that covers 22 without starting
--   or ending at 22, 3389, 0 or 65535 (e.g. 20-25) is missed, and in a call with several
--   permissions the open CIDR and the admin port may belong to different permissions.
-- Not matched: admin ports from private or single-host CIDRs, other ports (443) from anywhere,
-- security-group-to-group rules, egress rules (AuthorizeSecurityGroupEgress). Failed calls
-- (errorCode set) match too: an attempt to expose SSH or RDP is worth a look.
eventSource = 'ec2.amazonaws.com'
AND eventName = 'AuthorizeSecurityGroupIngress'
AND (
    (
        requestParameters:cidrIp::string LIKE '%/0'
        AND (
            requestParameters:ipProtocol::string IN ('-1', 'all')
            OR (
                TRY_CAST(requestParameters:fromPort::string AS INTEGER) <= 22
                AND TRY_CAST(requestParameters:toPort::string AS INTEGER) >= 22
            )
            OR (
                TRY_CAST(requestParameters:fromPort::string AS INTEGER) <= 3389
                AND TRY_CAST(requestParameters:toPort::string AS INTEGER) >= 3389
            )
        )
    )
    OR (
        (
            -- Any /0, as in the flat form: host bits are kept as sent, and IPv6 has several
            -- spellings of the whole space (::/0, ::0/0, 0::/0).
            REGEXP_LIKE(requestParameters:ipPermissions::string, '.*"cidrIp":"[0-9.]+/0".*')
            OR REGEXP_LIKE(
                requestParameters:ipPermissions::string, '.*"cidrIpv6":"[0-9a-fA-F:]+/0".*'
            )
        )
        AND (
            requestParameters:ipPermissions::string LIKE '%"ipProtocol":"-1"%'
            OR requestParameters:ipPermissions::string LIKE '%"ipProtocol":"all"%'
            OR requestParameters:ipPermissions::string LIKE '%Port":22,%'
            OR requestParameters:ipPermissions::string LIKE '%Port":22}%'
            OR requestParameters:ipPermissions::string LIKE '%Port":3389,%'
            OR requestParameters:ipPermissions::string LIKE '%Port":3389}%'
            OR (
                requestParameters:ipPermissions::string LIKE '%"fromPort":0%'
                AND requestParameters:ipPermissions::string LIKE '%"toPort":65535%'
            )
        )
    )
)
