-- Stratus Red Team aws.lateral-movement.ec2-serial-console-send-ssh-public-key: access to an
-- instance through the EC2 serial console. Two events match:
-- - EnableSerialConsoleAccess (ec2): turns on serial console access for the whole account and
--   region; it is off by default and seldom needed.
-- - SendSerialConsoleSSHPublicKey (ec2-instance-connect): pushes an SSH key for the serial
--   console of one instance (requestParameters.instanceId, serialPort), giving console access
--   even when the network, SSH daemon or security groups would not allow a login.
-- Not matched: DisableSerialConsoleAccess, GetSerialConsoleAccessStatus (read-only), and
-- SendSSHPublicKey (ordinary EC2 Instance Connect, threat_ec2_instance_connect_ssh_key). Failed
-- calls (errorCode set) match too: an attempt is worth a look, and errorCode is in the finding.
(eventSource = 'ec2.amazonaws.com' AND eventName = 'EnableSerialConsoleAccess')
OR (
    eventSource = 'ec2-instance-connect.amazonaws.com'
    AND eventName = 'SendSerialConsoleSSHPublicKey'
)
