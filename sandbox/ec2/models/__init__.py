"""The EC2 half's own models, around moto's (laid out as sandbox/ecs/models/ is, one module per part):

- `lifecycle`: the instance state machine on top of a region's moto backend (timed transitions,
  protection, hibernation, stuck states), installed as hooks on the backend;
- `health`: DescribeInstanceStatus as EC2 reports it (scheduled events, impaired checks);
- `ssm`: Systems Manager Run Command (its own model, no moto);
- `errors`: the errors the models raise and the wire layer renders.

They take plain arguments; sandbox.ec2.responses reads the requests and calls them.
"""
