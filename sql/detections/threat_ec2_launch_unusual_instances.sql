-- Stratus Red Team aws.execution.ec2-launch-unusual-instances: RunInstances asking for GPU,
-- machine-learning or very large instance types, the kinds attackers launch for cryptomining or
-- model training on a stolen account (Stratus asks for p2.xlarge). requestParameters.instanceType
-- is matched against:
-- - GPU / accelerator families: p* (p2-p6), g* (g3-g6, g5g, gr6), inf* (Inferentia), trn*
--   (Trainium), dl* (dl1, dl2q). No general-purpose family name starts with these letters.
-- - bare metal (*.metal, *.metal-24xl, ...) and the largest sizes (24xlarge, 32xlarge, 48xlarge,
--   56xlarge, 96xlarge, 112xlarge; 24xlarge also covers 224xlarge).
-- Ordinary types (t3.micro, m5.large, c5.12xlarge) do not match. Instance types are lower case
-- in the API, so LIKE is exact. Not covered: an instance type set only in a launch template
-- (requestParameters.launchTemplate, no instanceType), and other launch APIs (CreateFleet,
-- RequestSpotInstances, Auto Scaling group changes). Failed calls (errorCode set) match on
-- purpose: Stratus's own detonation fails (Client.UnauthorizedOperation), and denied or
-- quota-limited (VcpuLimitExceeded) attempts are what a probing attacker leaves.
eventSource = 'ec2.amazonaws.com'
AND eventName = 'RunInstances'
AND (
    requestParameters:instanceType::string LIKE 'p%'
    OR requestParameters:instanceType::string LIKE 'g%'
    OR requestParameters:instanceType::string LIKE 'inf%'
    OR requestParameters:instanceType::string LIKE 'trn%'
    OR requestParameters:instanceType::string LIKE 'dl%'
    OR requestParameters:instanceType::string LIKE '%.metal%'
    OR requestParameters:instanceType::string LIKE '%24xlarge'
    OR requestParameters:instanceType::string LIKE '%32xlarge'
    OR requestParameters:instanceType::string LIKE '%48xlarge'
    OR requestParameters:instanceType::string LIKE '%56xlarge'
    OR requestParameters:instanceType::string LIKE '%96xlarge'
    OR requestParameters:instanceType::string LIKE '%112xlarge'
)
