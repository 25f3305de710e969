"""The errors the EC2 half answers: one class per wire protocol, each rendered in its own format
(EC2's XML by sandbox.ec2.responses, SSM's JSON by sandbox.ec2.responses.ssm)."""


class AwsError(Exception):
    """An error an AWS service answers; each protocol renders it in its own format."""

    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class Ec2Error(AwsError):
    """An error EC2 answers in its own XML format."""


class SsmError(AwsError):
    """An error SSM answers in its JSON format."""
