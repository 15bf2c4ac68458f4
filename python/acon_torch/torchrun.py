"""`torchrun` (torch.distributed.run) with one fix for PyTorch 1.13 on Python >= 3.11:

    python3 -m acon_torch.torchrun --nproc_per_node 2 -m acon_torch.train ...

takes exactly torchrun's arguments. On Python 3.11 iterating an IntFlag skips its zero member, so
1.13's `Std.from_str("0")` (the default of --redirects and --tee) returns None and torchrun stops
with "AttributeError: 'NoneType' object has no attribute 'get'" before starting a worker (Debian 12's
python3-torch does). Here `from_str` builds the flag from its value instead.
"""
import re
import sys

from torch.distributed import run
from torch.distributed.elastic.multiprocessing import api


def _from_str(cls, vm):
    if re.fullmatch(r"\d", vm):
        return cls(int(vm))
    if re.fullmatch(r"(\d:\d,)*\d:\d", vm):
        return {int(i): cls(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
    raise ValueError(f"{vm} does not match: <{api._VALUE_REGEX}> or <{api._MAPPING_REGEX}>")


if api.Std.from_str("0") is None:
    api.Std.from_str = classmethod(_from_str)

if __name__ == "__main__":
    sys.exit(run.main())
