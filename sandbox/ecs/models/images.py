"""Images: the public images, CreateImage (three ways), DescribeImages, DeleteImage, and the disks an
image gives RunInstances."""
import fnmatch
from dataclasses import dataclass, field

from sandbox.ecs.models.base import RUNNING, STOPPED, iso_second, locked
from sandbox.ecs.models.errors import EcsError, dry_run_passed
from sandbox.ecs.models.regions import REGION
from sandbox.ecs.models.snapshots import Snapshot

PUBLIC_IMAGES = [
    # (ImageId, OSType, OSName, Platform, size GiB)
    ("aliyun_3_x64_20G_alibase_20240819.vhd", "linux", "Alibaba Cloud Linux 3.2104 LTS 64 bit", "Aliyun", 20),
    ("ubuntu_22_04_x64_20G_alibase_20240818.vhd", "linux", "Ubuntu 22.04 64 bit", "Ubuntu", 20),
    ("win2022_21H2_x64_dtc_en-us_40G_alibase_20240815.vhd", "windows",
     "Windows Server 2022 Datacenter 64 bit English", "Windows Server 2022", 40),
]


@dataclass
class Image:
    id: str
    seq: int
    name: str
    os_type: str
    os_name: str
    platform: str
    size: int
    owner: str  # system | self
    tags: dict
    created: float
    ready_at: float
    source_instance: str = None
    source_snapshot: str = None
    region: str = None  # CreateImage's RegionId; None for a public image, which every region has
    # DescribeImages DiskDeviceMappings: [{type, device, size, snapshot_id, category}], the system disk first;
    # empty for a public image (rendered as its system disk alone)
    disk_mappings: list = field(default_factory=list)


class Images:
    def _reset_images(self):
        self.images = {}
        self.image_failures = set()  # instance ids whose CreateImage fails
        for image_id, os_type, os_name, platform, size in PUBLIC_IMAGES:
            self._seq += 1
            self.images[image_id] = Image(image_id, self._seq, image_id, os_type, os_name, platform, size,
                                          "system", {}, 1723000000.0, 0.0)

    @locked
    def fail_images(self, instance_ids):
        self.image_failures.update(instance_ids)

    def _image_status(self, image):
        return "Available" if self._now() >= image.ready_at else "Creating"

    @staticmethod
    def _image_in(image, region):
        """A public image is in every region; an own image only in the one it was made in."""
        return region is None or image.region is None or image.region == region

    # CreateImage (API reference, "CreateImage", and the SDK's CreateImageRequest docstrings): three ways,
    # by priority InstanceId > DiskDeviceMapping > SnapshotId ("If your request contains two or more of these
    # parameters, the custom image is created based on the parameter that has a higher priority").
    # Error codes, HTTP statuses and messages are the reference's error table.
    MAX_IMAGE_DATA_DISKS = 16  # DiskDeviceMapping.N.DiskType: "data: ... Up to 16 data disk snapshots"
    MAX_MAPPING_SIZE = 32768  # DiskDeviceMapping.N.Size: "Other disks: 20 to 32768 GiB"
    MIN_MAPPING_SIZE = 20  # ... "Default value: 20" when no SnapshotId (the sandbox's disks are not basic disks)

    def _ready_snapshot(self, snapshot_id, region):
        """A snapshot CreateImage may use: in the request's region, and finished ("If a snapshot is being
        created, you cannot use this snapshot to create a custom image", CreateSnapshot reference)."""
        snap = self.snapshots.get(snapshot_id)
        if snap is None or snap.region != region:
            raise EcsError("InvalidSnapshotId.NotFound", 404, f"The specified SnapshotId {snapshot_id} does not exist.")
        if self._progress(snap.created, snap.ready_at) < 100:
            raise EcsError("InvalidSnapshotId.NotReady", 403, "The current status of the DiskDeviceMapping.n.SnapshotId "
                                                             "or SnapshotId does not support this operation.")
        return snap

    def _mappings_from_request(self, records, region):
        """DiskDeviceMapping.N as [{type, device, size, snapshot_id, category}], the system disk first.

        - DiskType defaults to the type of the snapshot's disk; without a SnapshotId the disk is an empty
          data disk of Size GiB ("SnapshotId may not be specified. In this case, an empty data disk with a
          specific size is created", reference).
        - Exactly one system disk, from a snapshot: none is OperationDenied "... does not contain system disk
          snapshot" (a mapping of data disks only), two are "... contains two or more system disk snapshots".
        - Size: at least the snapshot's size, which is the default (SDK docstring); InvalidSize.ValueNotSupported.
        - Device: the system disk's "must be /dev/xvda", data disks' "range from /dev/xvdb to /dev/xvdz and
          cannot be duplicate" (SDK docstring): InvalidDevice.Malformed, InvalidDevice.InUse; a data disk
          without a Device gets the next free one ("assigned by the system in order", the Chinese reference).
        """
        resolved = []
        for record in records:
            snap = self._ready_snapshot(record["snapshot_id"], region) if record.get("snapshot_id") else None
            kind = record.get("disk_type") or (snap.disk.type if snap else "data")
            floor = snap.disk.size if snap else self.MIN_MAPPING_SIZE
            size = record.get("size")
            if size is None:
                size = floor
            if size < floor or size > self.MAX_MAPPING_SIZE:
                raise EcsError("InvalidSize.ValueNotSupported", 400,
                               "The specified parameter DiskDeviceMapping.n.Size beyond the permitted range.")
            resolved.append({"type": kind, "device": record.get("device"), "size": int(size),
                             "snapshot_id": snap.id if snap else "", "category": snap.disk.category if snap else "cloud_essd",
                             "snapshot": snap})
        systems = [r for r in resolved if r["type"] == "system"]
        if not systems or systems[0]["snapshot"] is None:
            raise EcsError("OperationDenied", 400,
                           "The specified parameter DiskDeviceMapping.n.SnapshotId does not contain system disk snapshot.")
        if len(systems) > 1:
            raise EcsError("OperationDenied", 400, "The specified parameter DiskDeviceMapping.n.SnapshotId contains "
                                                   "two or more system disk snapshots.")
        data = [r for r in resolved if r["type"] != "system"]
        if len(data) > self.MAX_IMAGE_DATA_DISKS:
            raise EcsError("InvalidParameter", 400, f"The specified parameter DiskDeviceMapping has {len(data)} data "
                                                    f"disks: at most {self.MAX_IMAGE_DATA_DISKS} are allowed.")
        system = systems[0]
        if system["device"] not in (None, "/dev/xvda"):
            raise EcsError("InvalidDevice.Malformed", 400, "The specified parameter DiskDeviceMapping.n.Device is not valid.")
        system["device"] = "/dev/xvda"
        taken = set()
        for item in data:
            device = item["device"]
            if device is None:
                continue
            if len(device) != 9 or not device.startswith("/dev/xvd") or not "b" <= device[-1] <= "z":
                raise EcsError("InvalidDevice.Malformed", 400, "The specified parameter DiskDeviceMapping.n.Device is not valid.")
            if device in taken:
                raise EcsError("InvalidDevice.InUse", 400, "The specified parameter DiskDeviceMapping.n.Device has been occupied.")
            taken.add(device)
        free = (f"/dev/xvd{c}" for c in "bcdefghijklmnopqrstuvwxyz" if f"/dev/xvd{c}" not in taken)
        for item in data:
            item["device"] = item["device"] or next(free)
        return [system] + data

    def _mappings_of_instance(self, inst, ready_at):
        """Method 1: "a snapshot is created for each disk of the instance" (reference); the image maps them."""
        now = self._now()
        mappings = []
        for disk_id in inst.disk_ids:
            disk = self.disks[disk_id]
            snap = Snapshot(self._new_id("s-", self.snapshots), self._next_seq(), "", disk, {}, now, ready_at,
                            region=disk.region)
            self.snapshots[snap.id] = snap
            mappings.append({"type": disk.type, "device": disk.device, "size": disk.size, "snapshot_id": snap.id,
                             "category": disk.category, "snapshot": snap})
        return sorted(mappings, key=lambda m: (m["type"] != "system", m["device"]))

    @staticmethod
    def _check_image_name(name):
        """ImageName: "2 to 128 characters in length. It must start with a letter or a Chinese character and cannot
        start with http:// or https://. It can contain digits, colons (:), underscores (_), and hyphens (-)" (SDK
        docstring; the error table's description adds periods): InvalidImageName.Malformed (400)."""
        def letter(c):
            return c.isascii() and c.isalpha() or "\u4e00" <= c <= "\u9fff"
        if not (2 <= len(name) <= 128) or not letter(name[0]) or name.startswith(("http://", "https://")) \
                or not all(letter(c) or c.isdigit() or c in ":_-." for c in name):
            raise EcsError("InvalidImageName.Malformed", 400, "The specified Image name is wrongly formed.")

    @locked
    def create_image(self, instance_id=None, snapshot_id=None, mappings=None, name=None, tags=None, dry_run=False,
                     region=REGION, platform=None):
        """The image is in CreateImage's RegionId; its instance or snapshots must be there too.

        `mappings`: DiskDeviceMapping.N as the HTTP layer read them, [{snapshot_id, size, device, disk_type}].
        `platform`: for a data disk snapshot made the system disk ("you must use Platform to determine the
        operating system distribution of the system disk ... Default value: Others Linux", SDK docstring)."""
        if name:
            self._check_image_name(name)
        source, snap = None, None
        if instance_id:
            inst = self._get(instance_id, region)
            self._check_lock(inst)
            # Method 1: "The instance must be in the Running (Running) or Stopped (Stopped) state" (reference, doc
            # 25535); its error table: 400 IncorrectInstanceStatus "The current status of the instance does not
            # support this operation.", "The status of the specified instance must be Running or Stopped." (the
            # English and Chinese copies of the reference's source, github.com/zxc916684603/ecs "intl.en-US/API
            # Reference/Images/CreateImage.md", "intl.zh-CN/API参考/镜像/CreateImage.md"). Checked before DryRun
            # answers (stricter than a reference that does not say), so a dry run predicts the refusal.
            if inst.status not in (RUNNING, STOPPED):
                raise EcsError("IncorrectInstanceStatus", 400, "The current status of the instance does not support "
                                                               "this operation.")
            if instance_id in self.image_failures:  # the control API's fault: the table's code for a refused instance
                raise EcsError("IncorrectInstanceStatus", 400, f"The instance {instance_id} cannot be imaged: "
                                                               "its host does not answer (sandbox image failure).")
            source = self.images.get(inst.image_id)
            resolved = None  # the snapshots are made below, once the request has passed
        elif mappings:
            resolved = self._mappings_from_request(mappings, region)
            snap = resolved[0]["snapshot"]
        else:
            snap = self._ready_snapshot(snapshot_id, region)
            if snap.disk.type != "system":
                raise EcsError("OperationDenied", 403, "The specified snapshot is not from system disk.")
            resolved = [{"type": "system", "device": "/dev/xvda", "size": snap.disk.size, "snapshot_id": snap.id,
                         "category": snap.disk.category, "snapshot": snap}]
        if snap is not None:
            # a system disk snapshot is its image's OS; a data disk snapshot as the system disk is Platform's
            source = self.images.get(snap.disk.image_id) if snap.disk.type == "system" else None
        # an image name is taken within a region (images are regional resources)
        if name and any(i.name == name and i.owner == "self" and i.region == region for i in self.images.values()):
            raise EcsError("InvalidImageName.Duplicated", 400, "The specified ImageName is already in use.")
        if dry_run:
            raise dry_run_passed()
        now = self._now()
        ready_at = now + float(self.ctx.transition_seconds)
        if resolved is None:
            resolved = self._mappings_of_instance(inst, ready_at)
        platform = platform or "Others Linux"
        os_type = "windows" if platform.startswith("Windows") else "linux"
        image_id = self._new_id("m-", self.images)
        image = Image(image_id, self._next_seq(), name or image_id, source.os_type if source else os_type,
                      source.os_name if source else platform, source.platform if source else platform,
                      resolved[0]["size"] if resolved else (source.size if source else 20),
                      "self", dict(tags or {}), now, ready_at,
                      source_instance=instance_id, source_snapshot=snap.id if snap else None, region=region,
                      disk_mappings=[{k: v for k, v in m.items() if k != "snapshot"} for m in resolved])
        self.images[image_id] = image
        return image_id

    def _launch_disks(self, image, system_disk, data_disks):
        """RunInstances' disks from an image, as [(type, category, size, device, snapshot id)]: the system disk, then
        the image's data disks ("the data cloud disks in the full image are created as the first N data cloud disks
        of the ECS instance", DataDisk.N.Device docstring), then DataDisk.N at the next free devices.
        SystemDisk.Size "must be greater than or equal to max{1, ImageSize}" (SystemDisk.Size docstring);
        InvalidSystemDiskSize.LessThanImageSize (404) is RunInstances' error for a smaller one."""
        mappings = image.disk_mappings or [{"type": "system", "device": "/dev/xvda", "size": image.size,
                                            "snapshot_id": "", "category": "cloud_essd"}]
        system = mappings[0]
        requested = system_disk or {}
        size = int(requested.get("Size", image.size))
        if size < image.size:
            raise EcsError("InvalidSystemDiskSize.LessThanImageSize", 404,
                           "The specified parameter SystemDisk.Size is less than the image size.")
        specs = [("system", requested.get("Category", system["category"]), size, "/dev/xvda", system["snapshot_id"])]
        specs += [("data", m["category"], m["size"], m["device"], m["snapshot_id"]) for m in mappings[1:]]
        taken = {spec[3] for spec in specs}
        free = (f"/dev/xvd{c}" for c in "bcdefghijklmnopqrstuvwxyz" if f"/dev/xvd{c}" not in taken)
        specs += [("data", d.get("Category", "cloud_essd"), d.get("Size", 40), next(free), "") for d in data_disks]
        return specs

    def _render_mappings(self, image):
        """DiskDeviceMappings.DiskDeviceMapping, the fields of the SDK's
        DescribeImagesResponseBodyImagesImageDiskDeviceMappingsDiskDeviceMapping (Size a string of GiB, Type
        system | data, as recorded DescribeImages answers show them). A public image shows its system disk."""
        mappings = image.disk_mappings or [{"type": "system", "device": "/dev/xvda", "size": image.size, "snapshot_id": ""}]
        progress = f"{self._progress(image.created, image.ready_at)}%"
        return [{"Device": m["device"], "Size": str(m["size"]), "SnapshotId": m["snapshot_id"], "Type": m["type"],
                 "Format": "", "ImportOSSBucket": "", "ImportOSSObject": "", "Progress": progress, "RemainTime": 0,
                 "Encrypted": False} for m in mappings]

    @locked
    def describe_images(self, page, image_ids=None, name=None, statuses=("Available",), owner=None, region=None):
        pool = ([self.images[i] for i in dict.fromkeys(image_ids) if i in self.images]
                if image_ids is not None else list(self.images.values()))
        out = []
        for image in sorted(pool, key=lambda i: i.seq):
            if not self._image_in(image, region):
                continue
            state = self._image_status(image)
            if (statuses and state not in statuses) or (name and not fnmatch.fnmatchcase(image.name, name)) \
                    or (owner and image.owner != owner):
                continue
            out.append({
                "ImageId": image.id, "ImageName": image.name, "Status": state,
                "Progress": f"{self._progress(image.created, image.ready_at)}%",
                "OSType": image.os_type, "OSName": image.os_name, "Platform": image.platform,
                "ImageOwnerAlias": image.owner, "Size": image.size, "Architecture": "x86_64",
                "CreationTime": iso_second(image.created), "IsPublic": image.owner == "system",
                "Tags": {"Tag": [{"TagKey": k, "TagValue": v} for k, v in image.tags.items()]},
                "DiskDeviceMappings": {"DiskDeviceMapping": self._render_mappings(image)},
            })
        items, paging = page.apply(out)
        return items, paging

    @locked
    def delete_image(self, image_id, dry_run=False, region=None):
        image = self.images.get(image_id)
        if image is None or image.owner != "self" or not self._image_in(image, region):
            raise EcsError("InvalidImageId.NotFound", 404, f"The specified ImageId {image_id} does not exist in this account.")
        if dry_run:
            raise dry_run_passed()
        del self.images[image_id]
