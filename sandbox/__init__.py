"""Local cloud sandbox: EC2 (moto, extended) and an ECS OpenAPI emulator on 127.0.0.1.

Not shipped in the built collection (galaxy.yml build_ignore). See README "Sandbox".
"""
