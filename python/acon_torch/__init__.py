"""acon_torch: the PyTorch twin of acon's compare networks and a torchrun/DDP trainer.

The modules follow the official ACON code (nmaac/acon, Ma et al., CVPR 2021); the networks have
the module paths of acon's tfjs layers ('/' -> '.'), so a state_dict moves between the two
engines with no mapping.
"""
