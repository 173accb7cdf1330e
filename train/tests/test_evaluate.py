"""evaluate.py's comparison of PyTorch's and llama.cpp's greedy chains."""

import unittest

from helpers import HAVE_NUMPY, HAVE_REGEX, HAVE_TORCH

if HAVE_TORCH and HAVE_NUMPY and HAVE_REGEX:
    import evaluate


@unittest.skipUnless(HAVE_TORCH and HAVE_NUMPY and HAVE_REGEX, "needs python3-torch, python3-numpy, python3-regex")
class TestCompareChains(unittest.TestCase):
    STOP = {8183, 8186}

    def test_cut_excludes_the_stop_token(self):
        self.assertEqual(evaluate.cut_at_stop([5, 6, 8183, 7], self.STOP), [5, 6])
        self.assertEqual(evaluate.cut_at_stop([8183], self.STOP), [])
        self.assertEqual(evaluate.cut_at_stop([5, 6], self.STOP), [5, 6])

    def test_llama_chain_without_its_eog_token_is_identical(self):
        # PyTorch's greedy includes the stop token; greedy.mjs ends the chain before it.
        torch_chains = [[8183], [92, 8183], [1, 2, 3]]
        llama_chains = [[], [92], [1, 2, 3]]
        res = evaluate.compare_chains([evaluate.cut_at_stop(c, self.STOP) for c in torch_chains],
                                      [evaluate.cut_at_stop(c, self.STOP) for c in llama_chains])
        self.assertEqual(res["identical"], 3)

    def test_a_real_difference_is_found(self):
        res = evaluate.compare_chains([[1, 2, 3]], [[1, 9, 3]])
        self.assertEqual((res["identical"], res["first_diff_positions"]), (0, [1]))


if __name__ == "__main__":
    unittest.main()
