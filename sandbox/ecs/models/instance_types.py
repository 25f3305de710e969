"""What DescribeInstances reports of an instance type (vCPUs, memory, GPUs, family)."""

# What DescribeInstances reports of an instance type: vCPUs, memory (MiB, the unit of Memory in the
# DescribeInstances reference), GPU count and GPU model. The published sizes of the instance families
# ("Classification and naming of instance types" and the per-family pages of the ECS docs). A type not
# listed is sized from its name as that naming page describes it: ecs.<family>.<size>, the size word
# giving the vCPUs (large = 2, xlarge = 4, Nxlarge = 4N) and the family its memory per vCPU (c 2 GiB,
# g 4 GiB, r 8 GiB; a "-cXmY" family X:Y). RunInstances does not refuse an unlisted type.
INSTANCE_TYPES = {
    "ecs.g7.large": (2, 8192, 0, ""), "ecs.g7.xlarge": (4, 16384, 0, ""), "ecs.g7.2xlarge": (8, 32768, 0, ""),
    "ecs.g6.large": (2, 8192, 0, ""), "ecs.c7.large": (2, 4096, 0, ""), "ecs.c7.xlarge": (4, 8192, 0, ""),
    "ecs.r7.large": (2, 16384, 0, ""), "ecs.r7.xlarge": (4, 32768, 0, ""),
    "ecs.t6-c1m1.large": (2, 2048, 0, ""), "ecs.t6-c1m2.large": (2, 4096, 0, ""), "ecs.e-c1m2.large": (2, 4096, 0, ""),
    "ecs.u1-c1m2.large": (2, 4096, 0, ""),
    "ecs.gn6i-c4g1.xlarge": (4, 15360, 1, "NVIDIA T4"), "ecs.gn7i-c8g1.2xlarge": (8, 30720, 1, "NVIDIA A10"),
}
_SIZE_VCPUS = {"small": 1, "medium": 1, "large": 2, "xlarge": 4}
_GIB_PER_VCPU = {"c": 2, "g": 4, "r": 8}
BURSTABLE_FAMILIES = ("ecs.t5", "ecs.t6")  # CreditSpecification applies to these only (DescribeInstances reference)


def instance_type_family(instance_type):
    """ecs.g7.large -> ecs.g7, ecs.t6-c1m1.large -> ecs.t6 (InstanceTypeFamily as DescribeInstances reports it)."""
    parts = instance_type.split(".")
    return "ecs." + parts[1].split("-")[0] if len(parts) >= 3 else instance_type


def instance_type_spec(instance_type):
    """(vCPUs, memory MiB, GPU amount, GPU spec) of an instance type: the table, else from its name."""
    if instance_type in INSTANCE_TYPES:
        return INSTANCE_TYPES[instance_type]
    parts = instance_type.split(".")
    size = parts[-1] if len(parts) >= 3 else "large"
    if size in _SIZE_VCPUS:
        vcpus = _SIZE_VCPUS[size]
    elif size.endswith("xlarge") and size[:-6].isdigit():
        vcpus = 4 * int(size[:-6])
    else:
        vcpus = 2
    family = parts[1] if len(parts) >= 3 else ""
    ratio = _GIB_PER_VCPU.get(family[:1], 4)
    if "-c" in family and "m" in family.split("-c", 1)[1]:
        cpu_part, mem_part = family.split("-c", 1)[1].split("m", 1)
        if cpu_part.isdigit() and mem_part[:1].isdigit():
            ratio = int("".join(ch for ch in mem_part if ch.isdigit()) or 1) / max(int(cpu_part), 1)
    return vcpus, int(vcpus * ratio * 1024), 0, ""
