//! Turning an image file into an input tensor: decode, fit (stretch, or crop to the ink and centre it by mass), channels, layout, scale, normalise.

use crate::error::Error;
use crate::tensor::Tensor;
use image::GrayImage;
use image::imageops::FilterType;

/// How a picture fills the target size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fit {
    /// Resized to the target size as it is.
    #[default]
    Stretch,
    /// Made a picture of its ink (how far each pixel is from the background, the border's
    /// median), cropped to the ink, resized with its aspect kept into the target less
    /// `margin` on each side, and placed so that its centre of mass is the target's
    /// centre: a sketch on a pad and a digit in a file give the same tensor whatever
    /// their colours, size or place. One channel, ink high.
    Ink {
        /// The blank border on each side, in target pixels.
        margin: u32,
    },
}

/// Channel order of the tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channels {
    /// One channel, luminance.
    Gray,
    /// Red, green, blue.
    Rgb,
    /// Blue, green, red.
    Bgr,
}

/// Memory layout of the tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `[1, channels, height, width]`.
    Nchw,
    /// `[1, height, width, channels]`.
    Nhwc,
    /// `[1, height × width × channels]`, rows of pixels with channels last.
    Flat,
}

/// How to make a tensor from an image; `value = (pixel × scale − mean) / std`, per channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocess {
    /// Width to resize to.
    pub width: u32,
    /// Height to resize to.
    pub height: u32,
    /// Channel order.
    pub channels: Channels,
    /// Layout.
    pub layout: Layout,
    /// Factor for 0..255 pixel values.
    pub scale: f32,
    /// Per-channel mean, empty for none.
    pub mean: Vec<f32>,
    /// Per-channel standard deviation, empty for none.
    pub std: Vec<f32>,
    /// How the picture fills the target size.
    pub fit: Fit,
}

/// The preprocessing a card's `image:` section declares; unknown names fall back to `rgb` and `nchw`.
impl From<&manifest::ImageSpec> for Preprocess {
    #[allow(clippy::cast_possible_truncation)]
    fn from(spec: &manifest::ImageSpec) -> Preprocess {
        Preprocess {
            width: spec.size[0],
            height: spec.size[1],
            channels: match spec.channels.as_str() {
                "gray" => Channels::Gray,
                "bgr" => Channels::Bgr,
                _ => Channels::Rgb,
            },
            layout: match spec.layout.as_str() {
                "nhwc" => Layout::Nhwc,
                "flat" => Layout::Flat,
                _ => Layout::Nchw,
            },
            scale: spec.scale as f32,
            mean: spec.mean.iter().map(|v| *v as f32).collect(),
            std: spec.std.iter().map(|v| *v as f32).collect(),
            fit: match spec.fit.as_str() {
                "ink" => Fit::Ink {
                    margin: spec
                        .margin
                        .unwrap_or_else(|| default_margin(spec.size[0].min(spec.size[1]))),
                },
                _ => Fit::Stretch,
            },
        }
    }
}

/// The margin `fit: ink` keeps when a card names none: MNIST's 4 pixels of 28, in proportion.
pub fn default_margin(side: u32) -> u32 {
    (side + 3) / 7
}

/// A picture's shades, its transparent parts laid on white: a digit saved with a
/// transparent background (whatever colour its invisible pixels have) reads as on paper.
fn on_white(picture: &image::DynamicImage) -> GrayImage {
    if !picture.color().has_alpha() {
        return picture.to_luma8();
    }
    let with_alpha = picture.to_luma_alpha8();
    GrayImage::from_fn(with_alpha.width(), with_alpha.height(), |x, y| {
        let [shade, alpha] = with_alpha.get_pixel(x, y).0;
        let (shade, alpha) = (u32::from(shade), u32::from(alpha));
        #[allow(clippy::cast_possible_truncation)]
        let over_white = ((shade * alpha + 255 * (255 - alpha) + 127) / 255) as u8;
        image::Luma([over_white])
    })
}

/// The least difference from the background that counts as ink anywhere in a picture.
const MIN_INK: u8 = 24;

/// The picture of `luma`'s ink, `width` × `height`, as [`Fit::Ink`] says.
fn fit_ink(mut luma: GrayImage, width: u32, height: u32, margin: u32) -> Result<GrayImage, Error> {
    let (w, h) = luma.dimensions();
    let mut border = Vec::with_capacity(2 * (w + h) as usize);
    for x in 0..w {
        border.push(luma.get_pixel(x, 0)[0]);
        border.push(luma.get_pixel(x, h - 1)[0]);
    }
    for y in 0..h {
        border.push(luma.get_pixel(0, y)[0]);
        border.push(luma.get_pixel(w - 1, y)[0]);
    }
    border.sort_unstable();
    let background = border[border.len() / 2];
    for pixel in luma.pixels_mut() {
        pixel[0] = pixel[0].abs_diff(background);
    }
    let peak = luma.pixels().map(|p| p[0]).max().unwrap_or(0);
    if peak < MIN_INK {
        return Err(Error::Image(
            "the picture has no ink to read: it is all one shade".to_owned(),
        ));
    }
    let threshold = peak / 4;
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for (x, y, pixel) in luma.enumerate_pixels() {
        if pixel[0] > threshold {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
    }
    let (bw, bh) = (x1 - x0 + 1, y1 - y0 + 1);
    let inner = width.min(height).saturating_sub(2 * margin).max(1);
    let scale = f64::from(inner) / f64::from(bw.max(bh));
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let fitted = |side: u32| ((f64::from(side) * scale).round() as u32).clamp(1, inner);
    let (nw, nh) = (fitted(bw), fitted(bh));
    let crop = image::imageops::crop_imm(&luma, x0, y0, bw, bh).to_image();
    let small = image::imageops::resize(&crop, nw, nh, FilterType::Triangle);
    // Centred by mass: where the ink's weight is, not its box, lands in the middle.
    let (mut sum, mut sx, mut sy) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y, pixel) in small.enumerate_pixels() {
        let v = f64::from(pixel[0]);
        sum += v;
        sx += v * (f64::from(x) + 0.5);
        sy += v * (f64::from(y) + 0.5);
    }
    let (cx, cy) = if sum > 0.0 {
        (sx / sum, sy / sum)
    } else {
        (f64::from(nw) / 2.0, f64::from(nh) / 2.0)
    };
    #[allow(clippy::cast_possible_truncation)]
    let place = |target: u32, size: u32, centre: f64| -> i64 {
        let at = (f64::from(target) / 2.0 - centre).round() as i64;
        at.clamp(0, i64::from(target - size))
    };
    let mut out = GrayImage::new(width, height);
    image::imageops::replace(
        &mut out,
        &small,
        place(width, nw, cx),
        place(height, nh, cy),
    );
    Ok(out)
}

/// The most pixels a card may ask an image to be resized to.
const MAX_PIXELS: u64 = 1 << 24;
/// The longest side of a picture that is decoded.
const MAX_SIDE: u32 = 16_384;
/// The most memory decoding one picture may take.
const MAX_DECODED: u64 = 256 << 20;

/// Decodes a PNG or JPEG image and preprocesses it into a float tensor.
pub fn image_tensor(bytes: &[u8], p: &Preprocess) -> Result<Tensor, Error> {
    // The target size comes from a card: bounded before anything is allocated for it.
    if p.width == 0 || p.height == 0 {
        return Err(Error::Image("the target size is empty".to_owned()));
    }
    if u64::from(p.width) * u64::from(p.height) > MAX_PIXELS {
        return Err(Error::Image(format!(
            "the card asks for {}x{} pixels, more than the {MAX_PIXELS} mhub prepares",
            p.width, p.height
        )));
    }
    // The picture is a stranger's too: its declared size is checked before decoding.
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED);
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::Image(e.to_string()))?;
    reader.limits(limits);
    let decoded = reader.decode().map_err(|e| Error::Image(e.to_string()))?;
    let resized = match p.fit {
        Fit::Ink { margin } => {
            image::DynamicImage::ImageLuma8(fit_ink(on_white(&decoded), p.width, p.height, margin)?)
        }
        Fit::Stretch if decoded.width() == p.width && decoded.height() == p.height => decoded,
        Fit::Stretch => decoded.resize_exact(p.width, p.height, FilterType::Triangle),
    };
    let (w, h) = (p.width as usize, p.height as usize);
    let planes: Vec<Vec<u8>> = match p.channels {
        Channels::Gray => vec![resized.to_luma8().into_raw()],
        Channels::Rgb | Channels::Bgr => {
            let rgb = resized.to_rgb8().into_raw();
            let mut order = [0usize, 1, 2];
            if p.channels == Channels::Bgr {
                order = [2, 1, 0];
            }
            order
                .iter()
                .map(|c| rgb.iter().skip(*c).step_by(3).copied().collect())
                .collect()
        }
    };
    let c = planes.len();
    let value = |channel: usize, pixel: u8| {
        let mean = p.mean.get(channel).copied().unwrap_or(0.0);
        let std = p.std.get(channel).copied().unwrap_or(1.0);
        (f32::from(pixel) * p.scale - mean) / std
    };
    let mut data = Vec::with_capacity(w * h * c);
    match p.layout {
        Layout::Nchw => {
            for (channel, plane) in planes.iter().enumerate() {
                data.extend(plane.iter().map(|px| value(channel, *px)));
            }
        }
        Layout::Nhwc | Layout::Flat => {
            for i in 0..w * h {
                for (channel, plane) in planes.iter().enumerate() {
                    data.push(value(channel, plane[i]));
                }
            }
        }
    }
    let shape = match p.layout {
        Layout::Nchw => vec![1, c, h, w],
        Layout::Nhwc => vec![1, h, w, c],
        Layout::Flat => vec![1, h * w * c],
    };
    Tensor::f32(shape, data)
}
