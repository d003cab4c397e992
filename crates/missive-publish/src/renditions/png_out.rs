//! PNG encoding without metadata: only IHDR, IDAT and IEND are written (no tEXt, iTXt, tIME,
//! eXIf, gAMA or pHYs), so two renders of one letter are byte-identical and no file names a
//! tool, a person or a moment.

use super::RenditionError;

/// Encodes an opaque pixmap as 8-bit RGB.
pub(crate) fn encode_rgb(pixmap: &tiny_skia::Pixmap) -> Result<Vec<u8>, RenditionError> {
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    encode(pixmap.width(), pixmap.height(), png::ColorType::Rgb, &rgb)
}

/// Encodes an opaque pixmap as 8-bit grey (its red channel; for black-on-white drawings).
pub(crate) fn encode_gray(pixmap: &tiny_skia::Pixmap) -> Result<Vec<u8>, RenditionError> {
    let grey: Vec<u8> = pixmap.data().chunks_exact(4).map(|p| p[0]).collect();
    encode(
        pixmap.width(),
        pixmap.height(),
        png::ColorType::Grayscale,
        &grey,
    )
}

fn encode(
    width: u32,
    height: u32,
    color: png::ColorType,
    data: &[u8],
) -> Result<Vec<u8>, RenditionError> {
    let err = |e: png::EncodingError| RenditionError::Png(e.to_string());
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder.write_header().map_err(err)?;
    writer.write_image_data(data).map_err(err)?;
    writer.finish().map_err(err)?;
    Ok(out)
}
