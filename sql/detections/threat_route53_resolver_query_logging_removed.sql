-- Stratus Red Team aws.defense-evasion.dns-delete-logs: Route 53 Resolver query logging is removed.
-- Stratus calls route53resolver:DeleteResolverQueryLogConfig; DisassociateResolverQueryLogConfig
-- is matched too, since it stops DNS query logging for the VPC it detaches (and AWS requires it
-- before a delete, so a manual teardown shows both). Every call matches: neither API has a benign
-- variant to separate in one event. Failed calls match (errorCode in the finding): an attempt to
-- remove DNS logging is the signal. Not matched: Create/AssociateResolverQueryLogConfig, and
-- Route 53 public hosted zone query logging (route53.amazonaws.com DeleteQueryLoggingConfig), a
-- different service not in this technique.
eventSource = 'route53resolver.amazonaws.com'
AND eventName IN ('DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig')
