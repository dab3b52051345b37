-- Stratus Red Team aws.defense-evasion.vpc-remove-flow-logs: a VPC Flow Logs configuration is
-- deleted (ec2:DeleteFlowLogs). Every call matches: the API only removes network logging, so there
-- is no benign variant of the call to separate in one event. Stratus suggests ignoring deletions
-- closely followed by DeleteVpc (environment teardown); that needs a correlation across events,
-- which a one-row condition cannot express, so teardowns are listed as false positives instead.
-- Failed calls match (errorCode in the finding): a denied attempt to remove network logging is as
-- telling as a successful one. CloudTrail logs the EC2 query API request as
-- requestParameters.DeleteFlowLogsRequest.FlowLogId; the condition does not depend on that shape.
-- Not matched: CreateFlowLogs and DescribeFlowLogs.
eventSource = 'ec2.amazonaws.com'
AND eventName = 'DeleteFlowLogs'
