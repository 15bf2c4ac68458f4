"""The twin networks: tfjs 'same' padding, channel shuffle, module names, sizes, Meta-ACON variants."""
import unittest

import torch
import torch.nn.functional as F

from acon_torch.acon import MetaAconC
from acon_torch.models import ChannelShuffleSplit, SameConv2d, build_model, count_macs, count_params, parse_activation


class PaddingTest(unittest.TestCase):
    def test_stride_2_on_even_sizes_pads_only_bottom_right_as_tfjs(self):
        torch.manual_seed(0)
        conv = SameConv2d(2, 3, 3, 2, bias=False)
        for size, pad in ((28, (0, 1)), (14, (0, 1)), (7, (1, 1))):
            x = torch.randn(1, 2, size, size)
            want = F.conv2d(F.pad(x, (pad[0], pad[1], pad[0], pad[1])), conv.weight, stride=2)
            self.assertEqual(conv(x).shape[-1], -(-size // 2))
            self.assertTrue(torch.equal(conv(x), want), f"size {size}")

    def test_stride_1_pads_symmetrically_and_1x1_stride_2_not_at_all(self):
        x = torch.randn(1, 1, 7, 7)
        c3 = SameConv2d(1, 1, 3, 1, bias=False)
        self.assertTrue(torch.equal(c3(x), F.conv2d(x, c3.weight, padding=1)))
        c1 = SameConv2d(1, 1, 1, 2, bias=False)
        self.assertEqual(list(c1(x).shape), [1, 1, 4, 4])
        self.assertTrue(torch.equal(c1(x), F.conv2d(x, c1.weight, stride=2)))


class ShuffleTest(unittest.TestCase):
    def test_even_channels_then_odd(self):
        x = torch.arange(6.0).reshape(1, 6, 1, 1)
        keep, work = ChannelShuffleSplit()(x)
        self.assertEqual(keep.flatten().tolist(), [0.0, 2.0, 4.0])
        self.assertEqual(work.flatten().tolist(), [1.0, 3.0, 5.0])


class NetworkTest(unittest.TestCase):
    def test_parameter_counts_and_macs_equal_the_tfjs_models(self):
        # acon's tfjs ShuffleNetV2 0.5x (1,2,1) counts (README: acon compare on the sample): 154082, 157490, 215890; 4.25M MACs.
        for activation, params in (("relu", 154082), ("aconC", 157490), ("metaAconC", 215890)):
            m = build_model("shufflenet", activation, 0.5, [1, 2, 1])
            self.assertEqual(count_params(m), params, activation)
            self.assertEqual(round(count_macs(m) / 1e4), 425)

    def test_module_paths_are_the_tfjs_layer_names(self):
        keys = set(build_model("shufflenet", "aconC", 0.5, [1, 2, 1]).state_dict())
        for k in ("stem.conv.weight", "stem.act.p1", "stage2.block1.proj_dw.weight", "stage2.block1.proj_bn1.running_var",
                  "stage3.block2.conv2.weight", "stage3.block2.act2.beta", "last.conv.weight", "classifier.weight"):
            self.assertIn(k, keys)
        self.assertEqual(list(build_model("shufflenet", "relu").state_dict()["stage2.block1.dw.weight"].shape), [24, 1, 3, 3])
        r = set(build_model("resnet", "metaAconC").state_dict())
        for k in ("stage1.block1.down_conv.weight", "stage2.block1.act.fc1.weight", "stage3.block2.act.bn2.running_mean"):
            self.assertIn(k, r)

    def test_every_activation_trains_a_step(self):
        for spec in ("relu", "swish", "aconA", "aconB", "aconC", "metaAconC", "metaAconC:layer", "metaAconC:pixel"):
            for name in ("shufflenet", "resnet"):
                torch.manual_seed(1)
                m = build_model(name, spec, 0.5, [1, 1, 1] if name == "shufflenet" else [1, 1, 1])
                logits = m(torch.randn(4, 1, 28, 28))
                self.assertEqual(list(logits.shape), [4, 10])
                F.cross_entropy(logits, torch.tensor([0, 1, 2, 3])).backward()
                self.assertTrue(all(p.grad is not None and torch.isfinite(p.grad).all() for p in m.parameters()), f"{name} {spec}")

    def test_unknown_activation_names_what_is_accepted(self):
        with self.assertRaisesRegex(ValueError, "metaAconC:channel\\|layer\\|pixel"):
            parse_activation("metaAconC:spatial")


class MetaAconVariantsTest(unittest.TestCase):
    def test_layer_and_pixel_generators_follow_acons_definition(self):
        torch.manual_seed(3)
        x = torch.randn(5, 4, 3, 3)
        layer = MetaAconC(4, granularity="layer").eval()
        with torch.no_grad():
            layer.bn.running_mean.fill_(0.2)
            layer.bn.running_var.fill_(1.5)
            layer.bn.weight.fill_(0.7)
        m = x.mean(dim=(1, 2, 3))
        bn = (layer.fc.weight[0, 0] * m + layer.fc.bias[0] - 0.2) / torch.sqrt(torch.tensor(1.5 + 1e-5)) * 0.7
        self.assertTrue(torch.allclose(layer.generate_beta(x).flatten(), torch.sigmoid(bn), atol=1e-6))
        pixel = MetaAconC(4, granularity="pixel", normalization="none")
        with torch.no_grad():
            pixel.scale.copy_(torch.tensor([1.0, 2.0, -1.0, 0.5]).reshape(1, 4, 1, 1))
        self.assertTrue(torch.allclose(pixel.generate_beta(x), torch.sigmoid(pixel.scale * x + pixel.bias)))
        self.assertFalse(hasattr(pixel, "bn"))

    def test_batch_norm_at_batch_1_is_an_error_and_none_trains(self):
        with self.assertRaisesRegex(ValueError, "more than 1 value per channel"):
            MetaAconC(4)(torch.randn(1, 4, 2, 2))
        MetaAconC(4, normalization="none")(torch.randn(1, 4, 2, 2)).sum().backward()


if __name__ == "__main__":
    unittest.main()
