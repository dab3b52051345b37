-- Stratus Red Team aws.lateral-movement.ec2-instance-connect: EC2 Instance Connect
-- SendSSHPublicKey, which pushes an SSH public key to an instance's OS user
-- (requestParameters.instanceId, instanceOSUser) for 60 seconds; whoever holds the private key
-- can then SSH in with no key pair on the instance. The other calls of the service do not match:
-- SendSerialConsoleSSHPublicKey (the serial console, threat_ec2_serial_console_ssh_key) and
-- OpenTunnel (an EC2 Instance Connect Endpoint tunnel, no key pushed). eventSource is
-- the service's own (ec2-instance-connect), not ec2. Failed calls (errorCode set) match too:
-- attempts on instances the caller may not reach show the probing, and errorCode is in the
-- finding.
eventSource = 'ec2-instance-connect.amazonaws.com'
AND eventName = 'SendSSHPublicKey'
