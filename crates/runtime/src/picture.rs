//! Turning an image file into an input tensor: decode, resize, channels, layout, scale, normalise.

use crate::error::Error;
use crate::tensor::Tensor;
use image::imageops::FilterType;

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
        }
    }
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
    let resized = if decoded.width() == p.width && decoded.height() == p.height {
        decoded
    } else {
        decoded.resize_exact(p.width, p.height, FilterType::Triangle)
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
