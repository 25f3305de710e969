"""What DescribeInstances and DescribeInstanceStatus show of instances: filters and the rendered fields."""
import fnmatch

from sandbox.ecs.models.base import iso_minute, locked
from sandbox.ecs.models.billing import POSTPAID_EXPIRED_TIME, PREPAID
from sandbox.ecs.models.instance_types import BURSTABLE_FAMILIES, instance_type_family, instance_type_spec


class InstanceViews:
    @staticmethod
    def _os_names(os_name):
        """(OSName, OSNameEn): DescribeInstances reports OSName in Chinese and OSNameEn in English, e.g.
        "CentOS  7.6 64位" / "CentOS  7.6 64 bit" (its reference's response example)."""
        return os_name.replace("64 bit", "64位"), os_name

    def _render(self, inst):
        """One DescribeInstances Instance, every field of the SDK's
        DescribeInstancesResponseBodyInstancesInstance model (field meanings from the DescribeInstances
        reference; shapes from its response example). SpotDuration and SpotInterruptionBehavior are given
        for spot instances only ("returned when SpotStrategy is set to SpotWithPriceLimit or SpotAsPriceGo"),
        DeploymentSetGroupNo only in a deployment set (the sandbox has none) and ISP not at all
        (invitational preview)."""
        vcpus, memory, gpus, gpu_spec = instance_type_spec(inst.instance_type)
        family = instance_type_family(inst.instance_type)
        os_name, os_name_en = self._os_names(inst.os_name)
        vpc = bool(inst.vswitch_id)
        record = {
            "InstanceId": inst.id, "InstanceName": inst.name, "Description": inst.description,
            "HostName": inst.host_name, "Status": inst.status, "SerialNumber": inst.serial_number,
            "InstanceType": inst.instance_type, "InstanceTypeFamily": family, "Cpu": vcpus, "Memory": memory,
            "GPUAmount": gpus, "GPUSpec": gpu_spec, "LocalStorageAmount": 0, "LocalStorageCapacity": 0,
            "CpuOptions": {"CoreCount": max(vcpus // 2, 1), "ThreadsPerCore": 2 if vcpus > 1 else 1, "Numa": "",
                           "TopologyType": "", "NestedVirtualization": "", "TurboMode": "",
                           "EnableVISST": False, "EnableVRDT": False},
            "CreditSpecification": "Standard" if family in BURSTABLE_FAMILIES else "",
            "RegionId": inst.region, "ZoneId": inst.zone_id,
            "ImageId": inst.image_id, "OSType": inst.os_type, "OSName": os_name, "OSNameEn": os_name_en,
            "InstanceChargeType": inst.charge_type,
            "ExpiredTime": iso_minute(inst.expired_at) if inst.charge_type == PREPAID else POSTPAID_EXPIRED_TIME,
            "SaleCycle": "", "InternetChargeType": inst.internet_charge_type,
            "InternetMaxBandwidthOut": inst.bandwidth_out, "InternetMaxBandwidthIn": inst.bandwidth_in,
            "SpotStrategy": inst.spot_strategy, "SpotPriceLimit": inst.spot_price_limit,
            "IoOptimized": inst.io_optimized, "DeviceAvailable": True, "KeyPairName": inst.key_pair_name,
            "InstanceNetworkType": "vpc" if vpc else "classic",
            "VpcAttributes": {"VSwitchId": inst.vswitch_id, "VpcId": "vpc-sandbox0001" if vpc else "",
                              "NatIpAddress": "", "PrivateIpAddress": {"IpAddress": [inst.private_ip] if vpc else []}},
            "InnerIpAddress": {"IpAddress": [] if vpc else [inst.private_ip]},
            "PublicIpAddress": {"IpAddress": [inst.public_ip] if inst.public_ip else []},
            "EipAddress": {"AllocationId": "", "IpAddress": "", "InternetChargeType": "", "Bandwidth": 0,
                           "IsSupportUnassociate": True},
            "RdmaIpAddress": {"IpAddress": []},
            "NetworkInterfaces": {"NetworkInterface": [{
                "NetworkInterfaceId": inst.eni_id, "MacAddress": inst.mac_address, "Type": "Primary",
                "PrimaryIpAddress": inst.private_ip,
                "PrivateIpSets": {"PrivateIpSet": [{"PrivateIpAddress": inst.private_ip, "Primary": True,
                                                    "PrivateDnsName": ""}]},
                "Ipv6Sets": {"Ipv6Set": []}, "Ipv4PrefixSets": {"Ipv4PrefixSet": []},
                "Ipv6PrefixSets": {"Ipv6PrefixSet": []},
            }]},
            "SecurityGroupIds": {"SecurityGroupId": list(inst.security_group_ids)},
            "Tags": {"Tag": [{"TagKey": k, "TagValue": v} for k, v in inst.tags.items()]},
            "OperationLocks": {"LockReason": [{"LockReason": reason, "LockMsg": ""} for reason in inst.locks]},
            "DeletionProtection": inst.deletion_protection,
            "AutoReleaseTime": iso_minute(inst.auto_release_at) if inst.auto_release_at else "",
            "StoppedMode": inst.stopped_mode, "CreationTime": iso_minute(inst.created),
            "StartTime": iso_minute(inst.started) if inst.started else "",
            "Recyclable": False, "ResourceGroupId": "", "ClusterId": "", "VlanId": "", "HpcClusterId": "",
            "DeploymentSetId": "", "EnableNVS": False,
            "MetadataOptions": {"HttpEndpoint": "enabled", "HttpTokens": "optional", "HttpPutResponseHopLimit": 1,
                                "InstanceMetadataTags": "disabled"},  # RunInstances' defaults (its SDK docstrings)
            "ImageOptions": {"LoginAsNonRoot": False, "CurrentOSNVMeSupported": True},
            "HibernationOptions": {"Configured": False},
            "SecurityOptions": {"EnableSecureBoot": False},
            "PrivateDnsNameOptions": {"HostnameType": "Custom", "EnableInstanceIdDnsARecord": False,
                                      "EnableInstanceIdDnsAAAARecord": False, "EnableIpDnsARecord": False,
                                      "EnableIpDnsPtrRecord": False},
            "EcsCapacityReservationAttr": {"CapacityReservationId": "", "CapacityReservationPreference": "none"},
            "DedicatedHostAttribute": {"DedicatedHostId": "", "DedicatedHostName": "", "DedicatedHostClusterId": ""},
            "DedicatedInstanceAttribute": {"Affinity": "", "Tenancy": ""},
            "ClockOptions": {"PtpStatus": "disabled"},
            "AdditionalInfo": {"EnableHighDensityMode": False, "ManagedHostId": "", "NodeSerialNumber": ""},
        }
        if inst.spot_strategy != "NoSpot":
            record.update({"SpotDuration": 1, "SpotInterruptionBehavior": "Terminate"})
        return record

    @staticmethod
    def _matches_tags(tags, wanted):
        for key, value in wanted:
            if key not in tags or (value is not None and tags[key] != value):
                return False
        return True

    def _select(self, instance_ids=None, status=None, name=None, tags=(), zone_id=None, vswitch_id=None,
                image_id=None, instance_type=None, region=None, charge_type=None, lock_reason=None):
        pool = ([self.instances[i] for i in dict.fromkeys(instance_ids) if i in self.instances]
                if instance_ids is not None else list(self.instances.values()))
        now = self._now()
        out = []
        for inst in pool:
            if region is not None and inst.region != region:
                continue
            self._settle(inst, now)
            if status and inst.status != status:
                continue
            if name and not fnmatch.fnmatchcase(inst.name, name):
                continue
            if tags and not self._matches_tags(inst.tags, tags):
                continue
            if (zone_id and inst.zone_id != zone_id) or (vswitch_id and inst.vswitch_id != vswitch_id) \
                    or (image_id and inst.image_id != image_id) or (instance_type and inst.instance_type != instance_type):
                continue
            if (charge_type and inst.charge_type != charge_type) or (lock_reason and lock_reason not in inst.locks):
                continue
            out.append(inst)
        out.sort(key=lambda i: i.seq)
        return out

    @locked
    def describe_instances(self, page, **filters):
        found = self._select(**filters)
        items, paging = page.apply(found, key=lambda i: i.seq)
        return [self._render(i) for i in items], paging

    @locked
    def describe_instance_status(self, page, instance_ids=None, zone_id=None, region=None):
        found = self._select(instance_ids=instance_ids, zone_id=zone_id, region=region)
        items, paging = page.apply(found, key=lambda i: i.seq)
        return [{"InstanceId": i.id, "Status": i.status} for i in items], paging
