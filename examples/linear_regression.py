"""Linear regression by gradient descent, the first example of every deep-learning course.

We fit y = w x + b to noisy samples of y = 3x + 2: the loss is the mean squared error, backward() applies the chain
rule to get dL/dw and dL/db, and a hand-written update moves w and b against their gradients.
"""

import chainrule as torch

torch.manual_seed(0)
x = torch.linspace(-1, 1, 100).reshape(-1, 1)
y = 3 * x + 2 + 0.1 * torch.randn(100, 1)

w = torch.zeros(1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.1

for step in range(200):
    loss = ((x * w + b - y) ** 2).mean()  # L = mean((w x + b - y)^2)
    loss.backward()  # dL/dw and dL/db land in w.grad and b.grad
    with torch.no_grad():  # the update itself must not be recorded
        w -= lr * w.grad
        b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    if step % 50 == 0 or step == 199:
        print(f"step {step:3d}  loss {loss.item():.4f}  w {w.item():.3f}  b {b.item():.3f}")

print(f"learned y = {w.item():.2f} x + {b.item():.2f}   (true: y = 3 x + 2)")
