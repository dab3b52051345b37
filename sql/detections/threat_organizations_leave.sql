-- Stratus Red Team aws.defense-evasion.organizations-leave: a member account calls
-- organizations:LeaveOrganization (Stratus's attempt is denied, AccessDenied). Every call matches,
-- denied or not: an attempt to leave the organization is the signal, and errorCode in the finding
-- tells an attempt from a departure. The CIS pack's cis_organizations_changes also matches
-- LeaveOrganization, among all organization changes (a change control, noisy in a management
-- account); this is the threat detection for the call alone, high severity. Not matched:
-- RemoveAccountFromOrganization, the management account removing a member (its administrators'
-- decision, not the member shedding controls), and read calls such as DescribeOrganization.
eventSource = 'organizations.amazonaws.com'
AND eventName = 'LeaveOrganization'
