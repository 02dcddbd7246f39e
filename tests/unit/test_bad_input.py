"""Bad input raises what PyTorch raises, with a message that names the op and the offending shapes or values.

Each case runs in both libraries: torch must raise the expected exception type (so the table stays honest about
PyTorch), chainrule must raise the same type with a message matching ``match``, and no NumPy error text may leak.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import pytest
import torch

import chainrule as cr

# phrases of NumPy's own exceptions: seeing one means an error escaped unwrapped
NUMPY_PHRASES = ("operands could not be broadcast", "could not broadcast", "setting an array element",
                 "inhomogeneous", "cannot reshape array", "for array of dimension", "axis ", "ufunc",
                 "Input operand", "all the input array", "array at index", "core dimension", "gufunc")


def _f(lib: Any) -> Any:
    return cr.nn.functional if lib is cr else torch.nn.functional


Case = tuple[str, Callable[[Any], Any], type, str]

CASES: list[Case] = [
    # F.pad's non-constant modes
    ("pad_reflect_1d_input", lambda m: _f(m).pad(m.ones(5), (1, 1), mode="reflect"), NotImplementedError,
     r"pad: reflect padding of 1 dimension.*2-D or 3-D input.*\(5,\)"),
    ("pad_reflect_value", lambda m: _f(m).pad(m.ones(2, 3, 4), (1, 1), mode="reflect", value=2.0), RuntimeError,
     r"pad: padding mode 'reflect' doesn't take a value.*value=2.0"),
    ("pad_reflect_too_large", lambda m: _f(m).pad(m.ones(1, 2, 3), (3, 3), mode="reflect"), RuntimeError,
     r"reflect padding \(3, 3\) is too large.*size 3.*\(1, 2, 3\)"),
    ("pad_unknown_mode", lambda m: _f(m).pad(m.ones(1, 2, 3), (1, 1), mode="wrap"), NotImplementedError,
     r"pad: unrecognised padding mode 'wrap'"),
    ("pad_replicate_too_long", lambda m: _f(m).pad(m.ones(1, 2, 3), (1,) * 8, mode="replicate"), RuntimeError,
     r"pad: padding length 8 .*3 dimensions.*\(1, 2, 3\)"),
    # broadcasting
    ("add", lambda m: m.ones(2, 3) + m.ones(4), RuntimeError,
     r"add.*size of tensor a \(3\) must match the size of tensor b \(4\).*\(2, 3\).*\(4,\)"),
    ("radd_scalar_first", lambda m: m.ones(4) + m.ones(2, 3), RuntimeError, r"add.*\(4,\).*\(2, 3\)"),
    ("mul", lambda m: m.ones(2, 3) * m.ones(2, 4), RuntimeError, r"mul.*\(3\).*\(4\).*\(2, 3\).*\(2, 4\)"),
    ("sub", lambda m: m.ones(5) - m.ones(3), RuntimeError, r"sub.*\(5,\).*\(3,\)"),
    ("div", lambda m: m.ones(5) / m.ones(3), RuntimeError, r"div.*\(5,\).*\(3,\)"),
    ("add_", lambda m: m.ones(2, 3).add_(m.ones(4, 3)), RuntimeError, r"add.*\(2, 3\).*\(4, 3\)"),
    ("where", lambda m: m.where(m.ones(2, 3) > 0, m.ones(2, 3), m.ones(4)), RuntimeError,
     r"where.*\(2, 3\).*\(4,\)"),
    ("floor_divide", lambda m: m.ones(2) // m.ones(3), RuntimeError, r"floor_divide.*\(2\).*\(3\).*\(2,\).*\(3,\)"),
    ("remainder_int", lambda m: m.tensor([1, 2]) % m.tensor([1, 2, 3]), RuntimeError,
     r"remainder.*\(2,\).*\(3,\)"),
    ("remainder_float", lambda m: m.ones(2) % m.ones(3), RuntimeError, r"\(2,\).*\(3,\)"),
    ("compare", lambda m: m.ones(2) < m.ones(3), RuntimeError, r"lt.*\(2,\).*\(3,\)"),
    ("setitem_value_shape", lambda m: m.ones(2, 3).__setitem__(0, m.ones(4)), RuntimeError,
     r"__setitem__.*\(4,\).*\(3,\)"),
    ("masked_fill", lambda m: m.ones(2, 3).masked_fill(m.ones(4) > 0, 0.0), RuntimeError,
     r"masked_fill.*\(4,\).*\(2, 3\)"),
    # matmul
    ("matmul_1d", lambda m: m.ones(3) @ m.ones(4), RuntimeError, r"matmul.*1x3 and 4x1"),
    ("matmul_2d", lambda m: m.ones(2, 3) @ m.ones(4, 5), RuntimeError, r"matmul.*2x3 and 4x5"),
    ("matmul_1d_2d", lambda m: m.ones(3) @ m.ones(4, 5), RuntimeError, r"matmul.*1x3 and 4x5"),
    ("matmul_batched", lambda m: m.ones(2, 2, 3) @ m.ones(2, 4, 5), RuntimeError, r"matmul.*2x2x3 and 2x4x5"),
    ("matmul_batch_dims", lambda m: m.ones(2, 2, 3) @ m.ones(3, 3, 5), RuntimeError,
     r"matmul.*\(2\).*\(3\).*\(2,\).*\(3,\)"),
    ("matmul_0d", lambda m: m.tensor(1.0) @ m.ones(3), RuntimeError, r"matmul.*at least 1D.*0D and 1D"),
    ("mm", lambda m: m.mm(m.ones(2, 3), m.ones(4, 5)), RuntimeError, r"2x3 and 4x5"),
    ("bmm", lambda m: m.bmm(m.ones(2, 2, 3), m.ones(2, 4, 5)), RuntimeError, r"2x2x3 and 2x4x5"),
    ("dot", lambda m: m.dot(m.ones(3), m.ones(4)), RuntimeError, r"dot.*\[3\].*\[4\].*3 and 4"),
    # cat / stack
    ("cat_sizes", lambda m: m.cat([m.ones(2, 3), m.ones(2, 4)]), RuntimeError,
     r"cat.*dimension 0.*Expected size 3 but got size 4 for tensor number 1"),
    ("cat_sizes_dim1", lambda m: m.cat([m.ones(2, 3), m.ones(3, 3)], dim=1), RuntimeError,
     r"cat.*dimension 1.*Expected size 2 but got size 3"),
    ("cat_ranks", lambda m: m.cat([m.ones(2, 3), m.ones(3)]), RuntimeError,
     r"cat.*same number of dimensions: got 2 and 1"),
    ("cat_empty", lambda m: m.cat([]), ValueError, r"cat\(\): expected a non-empty list of Tensors"),
    ("cat_dim", lambda m: m.cat([m.ones(2, 3)] * 2, dim=2), IndexError, r"Dimension out of range.*\[-2, 1\].*got 2"),
    ("stack_shapes", lambda m: m.stack([m.ones(2, 3), m.ones(3, 2)]), RuntimeError,
     r"stack.*\[2, 3\] at entry 0 and \[3, 2\] at entry 1"),
    ("stack_empty", lambda m: m.stack([]), RuntimeError, r"stack.*non-empty"),
    # reshape / view
    ("reshape", lambda m: m.ones(2, 3).reshape(4, 2), RuntimeError, r"reshape.*'\[4, 2\]' is invalid.*size 6"),
    ("view", lambda m: m.ones(2, 3).view(7), RuntimeError, r"view.*'\[7\]' is invalid.*size 6"),
    ("reshape_infer", lambda m: m.ones(2, 3).reshape(4, -1), RuntimeError, r"reshape.*\[4, -1\].*size 6"),
    ("reshape_two_inferred", lambda m: m.ones(2, 3).reshape(-1, -1), RuntimeError,
     r"reshape.*only one dimension can be inferred"),
    ("view_non_contiguous", lambda m: m.ones(2, 3).t().view(6), RuntimeError,
     r"view size is not compatible.*\(3, 2\).*\(6,\).*reshape"),
    # dtype restrictions
    ("requires_grad_int", lambda m: m.tensor([1, 2], requires_grad=True), RuntimeError,
     r"only Tensors of floating point.*can require gradients.*int64"),
    ("requires_grad_int_", lambda m: m.tensor([1, 2]).requires_grad_(), RuntimeError,
     r"only Tensors of floating point.*can require gradients.*int64"),
    ("requires_grad_bool", lambda m: m.ones(2, dtype=m.bool).requires_grad_(), RuntimeError,
     r"only Tensors of floating point.*bool"),
    # NOTE: torch raises NotImplementedError, a subclass of RuntimeError, for softmax on integers
    ("softmax_int", lambda m: _f(m).softmax(m.tensor([1, 2]), dim=0), RuntimeError, r"softmax.*int64"),
    ("log_softmax_int", lambda m: _f(m).log_softmax(m.tensor([1, 2]), dim=0), RuntimeError, r"log_softmax.*int64"),
    ("mean_int", lambda m: m.tensor([1, 2]).mean(), RuntimeError, r"mean\(\).*floating point.*int64"),
    ("bool_sub", lambda m: m.tensor([True]) - m.tensor([False]), RuntimeError, r"(?i)sub.*two bool tensors"),
    ("bool_sub_int", lambda m: m.tensor([True]) - 1, RuntimeError, r"(?i)sub.*with a bool tensor"),
    ("int_rsub_bool", lambda m: 1 - m.tensor([True]), RuntimeError, r"(?i)sub.*with a bool tensor"),
    ("neg_bool", lambda m: -m.tensor([True]), RuntimeError, r"Negation.*bool"),
    ("int_negative_power", lambda m: m.tensor([2]) ** -1, RuntimeError, r"negative integer powers"),
    # indexing
    ("index_int", lambda m: m.ones(2, 3)[5], IndexError, r"index 5 is out of bounds for dimension 0 with size 2"),
    ("index_negative", lambda m: m.ones(2, 3)[-3], IndexError, r"index -3 is out of bounds for dimension 0"),
    ("index_second_dim", lambda m: m.ones(2, 3)[0, 3], IndexError, r"index 3 is out of bounds for dimension 1 with"),
    ("index_tensor", lambda m: m.ones(2, 3)[m.tensor([0, 4])], IndexError, r"index 4 is out of bounds.*size 2"),
    ("index_list", lambda m: m.ones(2, 3)[[0, -5]], IndexError, r"index -5 is out of bounds.*size 2"),
    ("index_too_many", lambda m: m.ones(2, 3)[0, 0, 0], IndexError, r"too many indices.*dimension 2"),
    ("setitem", lambda m: m.ones(2, 3).__setitem__(5, 1.0), IndexError, r"index 5 is out of bounds.*size 2"),
    ("gather", lambda m: m.ones(2, 3).gather(1, m.tensor([[0, 3]])), RuntimeError,
     r"gather.*index 3 is out of bounds for dimension 1 with size 3"),
    ("gather_ranks", lambda m: m.ones(2, 3).gather(1, m.tensor([0, 1])), RuntimeError,
     r"gather.*same number of dimensions"),
    ("index_select", lambda m: m.ones(2, 3).index_select(0, m.tensor([0, 2])), IndexError, r"index 2.*size 2"),
    ("select", lambda m: m.ones(2, 3).select(1, 3), IndexError, r"select\(\): index 3 out of range.*2, 3"),
    ("narrow", lambda m: m.ones(2, 3).narrow(1, 2, 3), RuntimeError, r"narrow.*start \(2\) \+ length \(3\).*\(3\)"),
    # dims out of range
    ("sum_dim", lambda m: m.ones(2, 3).sum(2), IndexError, r"Dimension out of range.*\[-2, 1\], but got 2"),
    ("sum_dim_negative", lambda m: m.ones(2, 3).sum(-3), IndexError, r"Dimension out of range.*got -3"),
    ("mean_dim", lambda m: m.ones(2, 3).mean(dim=5), IndexError, r"Dimension out of range.*got 5"),
    ("max_dim", lambda m: m.ones(2, 3).max(dim=5), IndexError, r"Dimension out of range.*got 5"),
    ("softmax_dim", lambda m: m.ones(2, 3).softmax(dim=3), IndexError, r"Dimension out of range.*got 3"),
    ("squeeze", lambda m: m.ones(2, 3).squeeze(2), IndexError, r"Dimension out of range.*got 2"),
    ("unsqueeze", lambda m: m.ones(2, 3).unsqueeze(4), IndexError, r"Dimension out of range.*\[-3, 2\], but got 4"),
    ("flatten", lambda m: m.ones(2, 3).flatten(3), IndexError, r"Dimension out of range.*got 3"),
    ("permute_range", lambda m: m.ones(2, 3).permute(0, 2), IndexError, r"Dimension out of range.*got 2"),
    ("permute_duplicate", lambda m: m.ones(2, 3).permute(0, 0), RuntimeError, r"permute.*\[0, 0\]"),
    ("permute_length", lambda m: m.ones(2, 3).permute(0), RuntimeError, r"permute.*\[0\].*2"),
    ("transpose", lambda m: m.ones(2, 3).transpose(0, 2), IndexError, r"Dimension out of range.*got 2"),
    # split / chunk / expand / repeat
    ("split_sizes_short", lambda m: m.ones(5, 3).split([2, 2]), RuntimeError,
     r"split_with_sizes.*sum exactly to 5.*dimension 0.*\[2, 2\]"),
    ("split_sizes_long", lambda m: m.ones(5, 3).split([2, 4], dim=0), RuntimeError, r"split.*5.*\[2, 4\]"),
    ("split_sizes_dim1", lambda m: m.ones(5, 3).split([1, 1], dim=1), RuntimeError, r"split.*3.*dimension 1"),
    ("split_dim", lambda m: m.ones(5, 3).split(2, dim=2), IndexError, r"Dimension out of range.*got 2"),
    ("chunk_zero", lambda m: m.ones(2, 3).chunk(0), RuntimeError, r"chunk.*greater than 0, got: 0"),
    ("expand", lambda m: m.ones(2, 3).expand(2, 4), RuntimeError,
     r"expand.*\(4\).*existing size \(3\).*dimension 1.*\[2, 4\].*\[2, 3\]"),
    ("expand_fewer_dims", lambda m: m.ones(2, 3).expand(3), RuntimeError, r"expand.*\(1\).*\(2\)"),
    ("repeat_fewer_dims", lambda m: m.ones(2, 3).repeat(2), RuntimeError, r"repeat dims.*smaller"),
    # creation
    ("tensor_ragged", lambda m: m.tensor([[1, 2], [3]]), ValueError, r"tensor.*length 2 at dim 1 \(got 1\)"),
    ("tensor_ragged_deep", lambda m: m.tensor([[[1], [2]], [[3], [4, 5]]]), ValueError,
     r"tensor.*length 1 at dim 2 \(got 2\)"),
    ("tensor_mixed", lambda m: m.tensor([[1, 2], 3]), TypeError, r"tensor.*not a sequence"),
    ("tensor_str", lambda m: m.tensor("abc"), TypeError, r"tensor.*str"),
    ("zeros_negative", lambda m: m.zeros(-1, 2), RuntimeError, r"zeros.*negative.*-1"),
    ("arange_step_zero", lambda m: m.arange(0, 5, 0), RuntimeError, r"arange.*step must be nonzero"),
    ("arange_sign", lambda m: m.arange(0, 5, -1), RuntimeError, r"arange.*inconsistent with step sign.*-1"),
    ("randint_bounds", lambda m: m.randint(5, 2, (3,)), RuntimeError, r"from=5.*to=2"),
    ("eye_negative", lambda m: m.eye(-1), RuntimeError, r"eye.*-1"),
    ("randperm_negative", lambda m: m.randperm(-1), RuntimeError, r"randperm.*negative dimension -1"),
    ("zeros_like_list", lambda m: m.zeros_like([1, 2]), TypeError, r"zeros_like\(\).*must be Tensor, not list"),
    ("randn_like_array", lambda m: m.randn_like(3.0), TypeError, r"randn_like\(\).*must be Tensor, not float"),
    # shape requirements of matrix functions
    ("outer_2d", lambda m: m.outer(m.ones(2, 2), m.ones(2)), RuntimeError, r"outer.*1-D.*\(2, 2\)"),
    ("tril_1d", lambda m: m.tril(m.ones(3)), RuntimeError, r"tril.*at least 2 dimensions.*\(3,\)"),
    ("triu_0d", lambda m: m.triu(m.tensor(1.0)), RuntimeError, r"triu.*at least 2 dimensions"),
    ("diag_3d", lambda m: m.diag(m.ones(2, 2, 2)), RuntimeError, r"diag.*3D"),
    ("trace_1d", lambda m: m.trace(m.ones(3)), RuntimeError, r"trace.*matrix.*1"),
    ("t_3d", lambda m: m.ones(2, 3, 4).t(), RuntimeError, r"t\(\) expects a tensor with <= 2 dimensions.*3D"),
    # conversions
    ("item", lambda m: m.ones(2).item(), RuntimeError, r"Tensor with 2 elements cannot be converted to Scalar"),
    ("bool", lambda m: bool(m.ones(2)), RuntimeError, r"Boolean value of Tensor with .* ambiguous"),
    ("numpy_requires_grad", lambda m: m.ones(2, requires_grad=True).numpy(), RuntimeError,
     r"numpy\(\).*requires grad.*detach"),
    ("leaf_inplace", lambda m: m.ones(2, requires_grad=True).add_(1), RuntimeError,
     r"add_.*leaf Variable that requires grad.*in-place"),
    # stricter than NumPy: no promotion in matmul, tensors only in cat/stack, int sizes, no leaked broadcast text
    ("matmul_int_float", lambda m: m.ones(2, 2, dtype=m.long) @ m.ones(2, 2), RuntimeError,
     r"matmul.*same dtype.*int64 != float32.*\(2, 2\)"),
    ("mm_int_float", lambda m: m.mm(m.tensor([[1, 2]]), m.ones(2, 2)), RuntimeError, r"same dtype.*int64 != float32"),
    ("matmul_float32_float64", lambda m: m.ones(3) @ m.ones(3, 2, dtype=m.float64), RuntimeError,
     r"same dtype.*float32 != float64"),
    ("cat_list_element", lambda m: m.cat([m.ones(2), [1.0, 2.0]]), TypeError, r"cat\(\).*Tensor as element 1.*list"),
    ("stack_array_element", lambda m: m.stack([m.ones(2), (1.0, 2.0)]), TypeError, r"stack\(\).*element 1.*tuple"),
    ("reshape_float_tuple", lambda m: m.ones(2, 3).reshape((3.0, 2)), TypeError,
     r"reshape\(\).*tuple of ints.*float at pos 0"),
    ("reshape_float_args", lambda m: m.ones(2, 3).reshape(2, 3.0), TypeError, r"reshape\(\).*float at pos 1"),
    ("view_float", lambda m: m.ones(2, 3).view(6.0), TypeError, r"view\(\).*float"),
    ("clamp_tensor_min", lambda m: m.ones(2, 3).clamp(min=m.zeros(4)), RuntimeError,
     r"clamp.*min.*\(3\).*\(4\).*\(2, 3\).*\(4,\)"),
    ("clamp_tensor_max", lambda m: m.ones(2, 3).clamp(max=m.zeros(4, 1)), RuntimeError,
     r"clamp.*max.*\(2\).*\(4\).*\(2, 3\).*\(4, 1\)"),
    ("masked_select_mask", lambda m: m.ones(2, 3).masked_select(m.ones(4, dtype=m.bool)), RuntimeError,
     r"masked_select.*\(4\).*\(3\).*\(4,\).*\(2, 3\)"),
    ("gather_negative", lambda m: m.ones(2, 3).gather(1, m.tensor([[-1]])), RuntimeError,
     r"gather.*index -1 is out of bounds for dimension 1 with size 3"),
    # scatter family
    ("scatter_negative", lambda m: m.ones(2, 3).scatter(1, m.tensor([[-1]]), m.ones(1, 1)), RuntimeError,
     r"scatter.*index -1 is out of bounds for dimension 1 with size 3"),
    ("scatter_too_high", lambda m: m.ones(2, 3).scatter(0, m.tensor([[2]]), 1.0), RuntimeError,
     r"scatter.*index 2 is out of bounds for dimension 0 with size 2"),
    ("scatter_dtype", lambda m: m.ones(2, 3).scatter(1, m.tensor([[0]]), m.ones(1, 1, dtype=m.float64)),
     RuntimeError, r"scatter.*self.dtype to be equal to src.dtype.*float32.*float64"),
    ("scatter_ranks", lambda m: m.ones(2, 3).scatter(1, m.tensor([0]), m.ones(1)), RuntimeError,
     r"scatter.*same number of dimensions.*\(1,\).*\(2, 3\)"),
    ("scatter_index_larger", lambda m: m.ones(2, 3).scatter(1, m.zeros(3, 1, dtype=m.long), m.ones(3, 1)),
     RuntimeError, r"scatter.*index \[3, 1\].*self \[2, 3\] apart from dimension 1"),
    ("scatter_src_smaller", lambda m: m.ones(2, 3).scatter(1, m.zeros(2, 2, dtype=m.long), m.ones(2, 1)),
     RuntimeError, r"scatter.*index \[2, 2\].*src \[2, 1\]"),
    ("scatter_add_float_index", lambda m: m.ones(2, 3).scatter_add(1, m.ones(2, 1), m.ones(2, 1)), RuntimeError,
     r"scatter_add.*int64 for index.*float32"),
    ("scatter_bad_reduce", lambda m: m.ones(2, 3).scatter(1, m.tensor([[0]]), 1.0, reduce="sum"),
     RuntimeError, r"scatter.*add or multiply.*'sum'"),
    ("scatter_reduce_bad", lambda m: m.ones(2, 3).scatter_reduce(1, m.tensor([[0]]), m.ones(1, 1), "add"),
     RuntimeError, r"scatter_reduce.*sum, prod, mean, amax or amin, got add"),
    ("index_add_negative", lambda m: m.ones(2, 3).index_add(0, m.tensor([-1]), m.ones(1, 3)), RuntimeError,
     r"index_add.*index -1 is out of bounds for dimension 0 with size 2"),
    ("index_add_shape", lambda m: m.ones(2, 3).index_add(0, m.tensor([1]), m.ones(1, 4)), RuntimeError,
     r"index_add.*source tensor shape must match.*\[2, 3\].*\[1, 4\]"),
    ("index_add_dtype", lambda m: m.ones(2, 3).index_add(0, m.tensor([1]), m.ones(1, 3, dtype=m.float64)),
     RuntimeError, r"index_add.*float32.*float64.*same scalar type"),
    ("index_copy_too_high", lambda m: m.ones(2, 3).index_copy(0, m.tensor([2]), m.ones(1, 3)), IndexError,
     r"index_copy.*index 2 is out of bounds for dimension 0 with size 2"),
    ("index_fill_too_high", lambda m: m.ones(2, 3).index_fill(1, m.tensor([3]), 0.0), IndexError,
     r"index_fill.*index 3 is out of bounds for dimension 1 with size 3"),
    # in-place random fills
    ("normal_negative_std", lambda m: m.ones(3).normal_(0.0, -1.0), RuntimeError, r"normal_.*std >= 0.0.*-1.0"),
    ("uniform_reversed", lambda m: m.ones(3).uniform_(2.0, 1.0), RuntimeError, r"uniform_.*from=2.0 > to=1.0"),
    ("bernoulli_p", lambda m: m.ones(3).bernoulli_(1.5), RuntimeError, r"bernoulli_.*\[0, 1\].*p=1.5"),
    ("exponential_lambda", lambda m: m.ones(3).exponential_(-1.0), RuntimeError, r"exponential_.*lambda=-1.0"),
    ("normal_long", lambda m: m.ones(3, dtype=m.long).normal_(), NotImplementedError, r"normal_.*int64"),
    ("uniform_long", lambda m: m.ones(3, dtype=m.long).uniform_(), NotImplementedError, r"uniform_.*int64"),
    ("bernoulli_leaf", lambda m: m.ones(3, requires_grad=True).bernoulli_(), RuntimeError,
     r"bernoulli_.*leaf Variable that requires grad.*in-place"),
    ("random_bounds", lambda m: m.ones(3).random_(5, 2), RuntimeError, r"random_.*from=5.*to=2"),
]


@pytest.mark.parametrize("make,exc,match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_matches_torch(make: Callable[[Any], Any], exc: type, match: str) -> None:
    with pytest.raises(exc):
        make(torch)
    with pytest.raises(exc, match=match) as info:
        make(cr)
    msg = str(info.value)
    leaked = [p for p in NUMPY_PHRASES if p.lower() in msg.lower()]
    assert not leaked, f"NumPy error text leaked: {msg!r}"
    assert info.value.__traceback__ is not None and not _numpy_raised_last(info.value)


def _numpy_raised_last(e: BaseException) -> bool:
    """True when the exception itself was raised inside NumPy (its innermost frame lives in numpy/)."""
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and re.search(r"[/\\]numpy[/\\]", tb.tb_frame.f_code.co_filename) is not None


# ----------------------------------------------------------------------------- backward misuse
def test_backward_twice_through_freed_graph() -> None:
    for lib in (torch, cr):
        x = lib.ones(3, requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time.*retain_graph"):
            y.backward()


def test_backward_of_non_scalar_without_gradient() -> None:
    for lib in (torch, cr):
        y = lib.ones(2, 3, requires_grad=True) * 2
        with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
            y.backward()
    with pytest.raises(RuntimeError, match=r"\(2, 3\)"):
        (cr.ones(2, 3, requires_grad=True) * 2).backward()


def test_backward_with_gradient_of_wrong_shape() -> None:
    for lib in (torch, cr):
        y = lib.ones(2, 3, requires_grad=True) * 2
        with pytest.raises(RuntimeError, match=r"(?i)mismatch in shape"):
            y.backward(lib.ones(3, 2))
    with pytest.raises(RuntimeError, match=r"\(3, 2\).*\(2, 3\)"):
        (cr.ones(2, 3, requires_grad=True) * 2).backward(cr.ones(3, 2))


def test_backward_on_tensor_that_does_not_require_grad() -> None:
    for lib in (torch, cr):
        y = (lib.ones(3) * 2).sum()
        with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
            y.backward()


def test_autograd_grad_on_input_that_does_not_require_grad() -> None:
    for lib in (torch, cr):
        x, c = lib.ones(3, requires_grad=True), lib.ones(3)
        with pytest.raises(RuntimeError, match="does not require grad"):
            lib.autograd.grad((x * c).sum(), c)


def test_requires_grad_false_on_non_leaf() -> None:
    for lib in (torch, cr):
        y = lib.ones(3, requires_grad=True) * 2
        with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
            y.requires_grad_(False)
