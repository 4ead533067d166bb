"""The digits model that reads what people draw and type: data, the ink fit, training, held-out sets.

Training data, all made here from what the machine has, seeded:
- scikit-learn's 8x8 digits (training split only), upsampled, with shifts, rotation,
  scale, shear, stroke thickness and blur;
- synthetic stroke digits: a few ways of writing each digit as pen strokes, jittered,
  slanted, drawn with thin to thick pens on canvases like the page's drawing pad and like
  paper;
- digits rendered from the fonts Debian packages ship (DejaVu, FreeFont, URW base35,
  Noto), with rotation, weight and size varied. Liberation fonts are never trained on:
  they make the typed held-out set.

Every picture goes through `fit_ink`, this file's copy of the `fit: ink` preprocessing of
`crates/runtime/src/picture.rs` (the card declares it, and mhub applies it to files and
to the page's drawings): the ink (distance from the border's median shade) cropped,
resized into 20x20 with its aspect kept, placed in 28x28 with its centre of mass in the
middle, as MNIST was prepared.
"""

import math
import pathlib

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

SIZE = 28
MARGIN = 4  # runtime::default_margin(28)
MIN_INK = 24
FONT_DIRS = [pathlib.Path("/usr/share/fonts/truetype"), pathlib.Path("/usr/share/fonts/opentype")]
# Families whose digits are ordinary digits (no symbols, dingbats, scripts of other writing systems).
FONT_PREFIXES = (
    "DejaVuSans", "DejaVuSerif", "FreeMono", "FreeSans", "FreeSerif", "NimbusSans", "NimbusRoman",
    "NimbusMonoPS", "C059", "P052", "URWBookman", "URWGothic", "NotoSans-", "NotoSerif-",
    "NotoSansMono-", "NotoSansDisplay-", "NotoSerifDisplay-", "LiberationSans", "LiberationSerif",
    "LiberationMono",
)
HELD_OUT_FONTS = ("Liberation",)


def fit_ink(gray):
    """The `fit: ink` picture of a uint8 grayscale array: 28x28 uint8, ink high."""
    g = np.asarray(gray, dtype=np.uint8)
    border = np.concatenate([g[0, :], g[-1, :], g[:, 0], g[:, -1]])
    background = int(np.sort(border)[len(border) // 2])
    ink = np.abs(g.astype(np.int16) - background).astype(np.uint8)
    peak = int(ink.max())
    if peak < MIN_INK:
        return None
    ys, xs = np.nonzero(ink > peak // 4)
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    bw, bh = x1 - x0 + 1, y1 - y0 + 1
    inner = SIZE - 2 * MARGIN
    scale = inner / max(bw, bh)
    nw = int(min(max(math.floor(bw * scale + 0.5), 1), inner))
    nh = int(min(max(math.floor(bh * scale + 0.5), 1), inner))
    crop = Image.fromarray(ink[y0 : y1 + 1, x0 : x1 + 1])
    small = np.asarray(crop.resize((nw, nh), Image.BILINEAR), dtype=np.float64)
    total = small.sum()
    if total > 0:
        cx = (small.sum(axis=0) * (np.arange(nw) + 0.5)).sum() / total
        cy = (small.sum(axis=1) * (np.arange(nh) + 0.5)).sum() / total
    else:
        cx, cy = nw / 2, nh / 2
    ox = int(min(max(math.floor(SIZE / 2 - cx + 0.5), 0), SIZE - nw))
    oy = int(min(max(math.floor(SIZE / 2 - cy + 0.5), 0), SIZE - nh))
    out = np.zeros((SIZE, SIZE), dtype=np.uint8)
    out[oy : oy + nh, ox : ox + nw] = small.round().astype(np.uint8)
    return out


def arc(cx, cy, rx, ry, a0, a1, n=24):
    return [(cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a))) for a in np.linspace(a0, a1, n)]


def line(*points):
    return list(points)


# Each digit as a few ways of writing it: a list of strokes, each a list of (x, y) in a unit box, y down.
TEMPLATES = {
    0: [
        [arc(0.5, 0.5, 0.32, 0.46, -90, 270, 40)],
        [arc(0.5, 0.5, 0.38, 0.46, -100, 285, 40)],
        [arc(0.5, 0.5, 0.25, 0.46, -80, 280, 40)],
    ],
    1: [
        [line((0.5, 0.05), (0.5, 0.95))],
        [line((0.28, 0.28), (0.55, 0.05), (0.55, 0.95))],
        [line((0.28, 0.28), (0.55, 0.05), (0.55, 0.95)), line((0.28, 0.95), (0.82, 0.95))],
        [line((0.6, 0.05), (0.42, 0.95))],
    ],
    2: [
        [arc(0.5, 0.3, 0.32, 0.25, 190, 380) + [(0.15, 0.95), (0.88, 0.95)]],
        [arc(0.5, 0.28, 0.3, 0.23, 180, 400) + [(0.2, 0.95), (0.85, 0.92)]],
        [arc(0.5, 0.3, 0.32, 0.25, 200, 370) + arc(0.5, 0.95, 0.35, 0.25, 250, 200, 8)[1:] + [(0.25, 0.93), (0.9, 0.97)]],
    ],
    3: [
        [arc(0.5, 0.28, 0.3, 0.23, 200, 450), arc(0.5, 0.73, 0.34, 0.23, 270, 520)],
        [arc(0.5, 0.28, 0.3, 0.23, 200, 450) + arc(0.5, 0.73, 0.34, 0.23, 270, 520)[1:]],
        [line((0.18, 0.05), (0.82, 0.05), (0.42, 0.42)) + arc(0.5, 0.7, 0.35, 0.26, 250, 520)[1:]],
    ],
    4: [
        [line((0.62, 0.05), (0.12, 0.66), (0.9, 0.66)), line((0.68, 0.3), (0.68, 0.95))],
        [line((0.2, 0.05), (0.18, 0.6), (0.88, 0.6)), line((0.7, 0.05), (0.7, 0.95))],
        [line((0.7, 0.95), (0.7, 0.05), (0.12, 0.68), (0.9, 0.68))],
    ],
    5: [
        [line((0.82, 0.05), (0.25, 0.05), (0.22, 0.45)), arc(0.5, 0.68, 0.33, 0.27, 215, 505)],
        [line((0.25, 0.05), (0.22, 0.45)) + arc(0.5, 0.68, 0.33, 0.27, 215, 505)[1:], line((0.25, 0.05), (0.82, 0.05))],
    ],
    6: [
        [arc(0.85, 0.62, 0.62, 0.6, 250, 180, 16) + arc(0.5, 0.7, 0.3, 0.25, 180, 540)[1:]],
        [line((0.72, 0.05), (0.25, 0.6)) + arc(0.5, 0.7, 0.28, 0.25, 200, 560)[1:]],
    ],
    7: [
        [line((0.12, 0.05), (0.88, 0.05), (0.38, 0.95))],
        [line((0.12, 0.05), (0.88, 0.05), (0.38, 0.95)), line((0.32, 0.5), (0.78, 0.5))],
        [line((0.12, 0.18), (0.15, 0.05), (0.88, 0.05), (0.5, 0.95))],
        [line((0.12, 0.05), (0.88, 0.05)) + arc(0.1, 0.05, 0.78, 0.9, 0, 80, 10)[1:]],
    ],
    8: [
        [arc(0.5, 0.27, 0.25, 0.22, 0, 360), arc(0.5, 0.72, 0.31, 0.25, 0, 360)],
        [arc(0.5, 0.27, 0.27, 0.22, 90, 450) + arc(0.5, 0.72, 0.3, 0.24, 270, -90)[1:]],
    ],
    9: [
        [arc(0.5, 0.3, 0.28, 0.25, 0, 360), line((0.78, 0.3), (0.74, 0.95))],
        [arc(0.5, 0.3, 0.28, 0.25, 0, 360) + [(0.78, 0.5), (0.72, 0.78), (0.5, 0.95)]],
        [arc(0.48, 0.3, 0.28, 0.25, 340, -20) + [(0.72, 0.95)]],
    ],
}


def densify(points, step=0.02):
    out = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        n = max(1, int(math.hypot(x1 - x0, y1 - y0) / step))
        out += [(x0 + (x1 - x0) * t / n, y0 + (y1 - y0) * t / n) for t in range(1, n + 1)]
    return out


def smooth_noise(rng, n, scale):
    """Low-frequency wobble along a stroke."""
    knots = rng.normal(0, scale, size=(max(2, n // 8 + 2), 2))
    xs = np.linspace(0, len(knots) - 1, n)
    return np.stack([np.interp(xs, np.arange(len(knots)), knots[:, k]) for k in range(2)], axis=1)


def stroke_picture(rng, digit, canvas=224, pad_like=None):
    """A digit drawn with a pen: on a dark pad with a light pen, or on paper."""
    strokes = TEMPLATES[digit][rng.integers(len(TEMPLATES[digit]))]
    angle = math.radians(rng.uniform(-14, 14))
    shear = rng.uniform(-0.3, 0.3)
    sx, sy = rng.uniform(0.55, 1.15), rng.uniform(0.8, 1.1)
    height = rng.uniform(0.35, 0.85) * canvas
    cx, cy = rng.uniform(0.35, 0.65) * canvas, rng.uniform(0.35, 0.65) * canvas
    pad_like = rng.random() < 0.7 if pad_like is None else pad_like
    width = int(rng.uniform(0.07, 0.13) * canvas) if pad_like else int(rng.uniform(0.015, 0.12) * canvas)
    background, ink = (0, 255) if pad_like else (int(rng.uniform(200, 256)), int(rng.uniform(0, 90)))
    image = Image.new("L", (canvas, canvas), background)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        pts = np.array(densify(stroke), dtype=np.float64)
        pts += smooth_noise(rng, len(pts), 0.025)
        x, y = pts[:, 0] - 0.5, pts[:, 1] - 0.5
        x, y = (x + shear * y) * sx, y * sy
        xr = x * math.cos(angle) - y * math.sin(angle)
        yr = x * math.sin(angle) + y * math.cos(angle)
        coords = [(cx + a * height, cy + b * height) for a, b in zip(xr, yr)]
        draw.line(coords, fill=ink, width=max(1, width), joint="curve")
        r = max(1, width) / 2
        for px, py in (coords[0], coords[-1]):
            draw.ellipse((px - r, py - r, px + r, py + r), fill=ink)
    if rng.random() < 0.3:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.5)))
    return np.asarray(image)


def fonts(held_out):
    found = []
    for root in FONT_DIRS:
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() not in (".ttf", ".otf") or not path.name.startswith(FONT_PREFIXES):
                continue
            if path.name.startswith(HELD_OUT_FONTS) == held_out:
                found.append(path)
    return found


def typed_picture(rng, digit, font_path):
    """A digit typed in a font, black on white or the other way, at some size and angle."""
    size = int(rng.uniform(40, 150))
    font = ImageFont.truetype(str(font_path), size)
    canvas = int(size * 2)
    dark = rng.random() < 0.25
    background, ink = (0, 255) if dark else (255, 0)
    image = Image.new("L", (canvas, canvas), background)
    draw = ImageDraw.Draw(image)
    draw.text((canvas * rng.uniform(0.2, 0.4), canvas * rng.uniform(0.05, 0.25)), str(digit), font=font, fill=ink)
    if rng.random() < 0.35:
        grow = ImageFilter.MaxFilter(3) if not dark else ImageFilter.MaxFilter(3)
        image = image.filter(ImageFilter.MinFilter(3) if not dark else grow)
    image = image.rotate(rng.uniform(-8, 8), resample=Image.BILINEAR, fillcolor=background)
    if rng.random() < 0.2:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    return np.asarray(image)


def upsampled_picture(rng, pixels8, augment=True):
    """An 8x8 scikit-learn digit (0..16) as a 64x64 picture, optionally moved and reshaped."""
    small = Image.fromarray((pixels8.reshape(8, 8) * 255 / 16).astype(np.uint8))
    big = small.resize((64, 64), Image.BICUBIC)
    if not augment:
        return np.asarray(big)
    canvas = Image.new("L", (128, 128), 0)
    canvas.paste(big, (32, 32))
    a = math.radians(rng.uniform(-12, 12))
    s = rng.uniform(0.85, 1.15)
    shear = rng.uniform(-0.2, 0.2)
    # The inverse map of rotate · shear · scale about the centre, for Image.transform.
    m = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) @ np.array([[1, shear], [0, 1]]) * s
    inv = np.linalg.inv(m)
    c = np.array([64.0, 64.0])
    off = c - inv @ c
    image = canvas.transform((128, 128), Image.AFFINE, (inv[0, 0], inv[0, 1], off[0], inv[1, 0], inv[1, 1], off[1]), Image.BILINEAR)
    k = rng.integers(4)
    if k == 1:
        image = image.filter(ImageFilter.MaxFilter(5))
    elif k == 2:
        image = image.filter(ImageFilter.MinFilter(3))
    if rng.random() < 0.3:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.0)))
    return np.asarray(image)


def make_set(rng, stroke_n, font_list, font_n, digits_x=None, digits_reps=0, keep_pictures=False):
    """Features and labels of a set made on the fly (pictures are fitted as they are made)."""
    rows, labels, kept = [], [], []

    def add(picture, label):
        fitted = fit_ink(picture)
        if fitted is None:
            return
        rows.append(fitted.reshape(-1))
        labels.append(label)
        if keep_pictures:
            kept.append(picture)

    for _ in range(stroke_n):
        d = int(rng.integers(10))
        add(stroke_picture(rng, d), d)
    for _ in range(font_n):
        d = int(rng.integers(10))
        add(typed_picture(rng, d, font_list[rng.integers(len(font_list))]), d)
    if digits_x is not None:
        x8, y8 = digits_x
        for rep in range(digits_reps):
            for pixels, label in zip(x8, y8):
                add(upsampled_picture(rng, pixels, augment=rep > 0), int(label))
    x = (np.stack(rows).astype(np.float32) / 255.0) if rows else np.zeros((0, SIZE * SIZE), np.float32)
    return x, np.array(labels), kept


def train(seed):
    """The model and its accuracy figures."""
    rng = np.random.default_rng(seed)
    x8, y8 = load_digits(return_X_y=True)
    x8_train, x8_test, y8_train, y8_test = train_test_split(x8, y8, test_size=0.25, random_state=seed, stratify=y8)
    train_fonts, test_fonts = fonts(False), fonts(True)
    if len(train_fonts) < 60 or not test_fonts:
        raise SystemExit(
            f"found {len(train_fonts)} training fonts and {len(test_fonts)} held-out ones: install "
            "fonts-dejavu-core fonts-dejavu-extra fonts-freefont-ttf fonts-urw-base35 fonts-noto-core "
            "fonts-liberation2 (apt-get) so that the model is the committed one"
        )
    x, y, _ = make_set(rng, 36000, train_fonts, 24000, (x8_train, y8_train), 12)
    clf = MLPClassifier(
        hidden_layer_sizes=(256, 128),
        alpha=1e-4,
        batch_size=256,
        learning_rate_init=1e-3,
        max_iter=30,
        early_stopping=True,
        validation_fraction=0.05,
        n_iter_no_change=5,
        random_state=seed,
    ).fit(x, y)
    test8, test8_y, _ = make_set(rng, 0, [], 0, (x8_test, y8_test), 1)
    held = np.random.default_rng(seed + 1000)
    xs, ys, stroke_pictures = make_set(held, 1000, test_fonts, 0, keep_pictures=True)
    xt, yt, typed_pictures = make_set(held, 0, test_fonts, 600, keep_pictures=True)
    xa, ya, _ = make_set(held, 0, [], 0, (x8_test, y8_test), 4)
    accuracy = {
        "digits-test": float(clf.score(test8, test8_y)),
        "digits-test-augmented": float(clf.score(xa, ya)),
        "drawn-held-out": float(clf.score(xs, ys)),
        "typed-held-out": float(clf.score(xt, yt)),
    }
    samples = {
        "drawn": [(p, int(label)) for p, label in zip(stroke_pictures, ys)],
        "typed": [(p, int(label)) for p, label in zip(typed_pictures, yt)],
    }
    return clf, accuracy, samples
