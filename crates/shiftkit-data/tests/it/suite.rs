//! The robustness suite: each shift on tiny hand-made images, then the pairs (determinism,
//! disjoint domains, ranges, sizes), the names, the moons angles, and bad arguments.

use std::collections::HashSet;

use shiftkit_data::moons::{self, MOONS_CENTRE, MOONS_SUITE_DEGREES};
use shiftkit_data::shift::{self, DigitShift};
use shiftkit_data::suite::{NOISE_AMPLITUDE, ROTATION_DEGREES, THIN_SIZE};
use shiftkit_data::{
    DataError, DigitDataset, DigitsPair, IMAGE_PIXELS, IMAGE_SIDE, MoonsConfig, SuitePair,
};

fn close(a: &[f32], b: &[f32], tolerance: f32) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tolerance)
}

/// The images of a data set as bit patterns, to compare digits exactly.
fn image_keys(data: &DigitDataset) -> HashSet<Vec<u32>> {
    (0..data.len())
        .map(|i| data.image(i).unwrap().iter().map(|v| v.to_bits()).collect())
        .collect()
}

/// An image as MNIST's bytes (`round(255 x)`).
fn quantise(image: &[f32]) -> Vec<u8> {
    image.iter().map(|v| (v * 255.0).round() as u8).collect()
}

fn quantised_keys(data: &DigitDataset) -> HashSet<Vec<u8>> {
    (0..data.len())
        .map(|i| quantise(data.image(i).unwrap()))
        .collect()
}

#[test]
fn inversion_maps_known_pixels() {
    assert_eq!(
        shift::invert(&[0.0, 1.0, 0.25, 0.5]),
        vec![1.0, 0.0, 0.75, 0.5]
    );
    let image = [0.0, 0.2, 1.0, 0.7];
    let out = DigitShift::Invert.apply_image(&image, 2, 0).unwrap();
    assert!(close(&out, &[1.0, 0.8, 0.0, 0.3], 1e-6));
}

#[test]
fn rotation_by_90_degrees_moves_a_known_pattern() {
    // 3x3, one bright pixel at the top middle and a dimmer one at the top left.
    #[rustfmt::skip]
    let image = [
        0.5, 1.0, 0.0,
        0.0, 0.0, 0.0,
        0.0, 0.0, 0.0,
    ];
    // Counter-clockwise as seen: the top middle goes to the middle left, the top left to
    // the bottom left.
    #[rustfmt::skip]
    let expected = [
        0.0, 0.0, 0.0,
        1.0, 0.0, 0.0,
        0.5, 0.0, 0.0,
    ];
    assert!(close(
        &shift::rotate(&image, 3, 90.0).unwrap(),
        &expected,
        1e-6
    ));
    // A quarter turn back undoes it, and a full turn is the identity.
    assert!(close(
        &shift::rotate(&expected, 3, -90.0).unwrap(),
        &image,
        1e-6
    ));
    assert!(close(
        &shift::rotate(&image, 3, 360.0).unwrap(),
        &image,
        1e-6
    ));
}

#[test]
fn rotation_by_45_degrees_interpolates_and_keeps_the_centre() {
    // A 5x5 horizontal bar through the centre turned by 45 degrees: the centre stays lit,
    // the bar's ends move off the middle row, values stay in [0, 1].
    let mut image = [0.0f32; 25];
    image[10..15].fill(1.0);
    let out = shift::rotate(&image, 5, 45.0).unwrap();
    assert!((out[12] - 1.0).abs() < 1e-6);
    assert!(out[10] < 0.5 && out[14] < 0.5, "{out:?}");
    // Counter-clockwise: the right end rises (up and right of the centre is row 1, col 3).
    assert!(out[8] > 0.3 && out[6] < 0.2, "{out:?}");
    assert!(out.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn erosion_of_a_3x3_block_leaves_its_centre() {
    let mut block = [0.0f32; 25];
    for row in 1..4 {
        block[row * 5 + 1..row * 5 + 4].fill(1.0);
    }
    // A 3x3 square: only the centre has its whole neighbourhood inside the block.
    let mut centre = [0.0f32; 25];
    centre[12] = 1.0;
    assert_eq!(shift::erode(&block, 5, 3).unwrap(), centre);
    // A 2x2 square (the pixel, right, below, below-right): the block's top-left 2x2.
    let mut corner = [0.0f32; 25];
    for row in 1..3 {
        corner[row * 5 + 1..row * 5 + 3].fill(1.0);
    }
    assert_eq!(shift::erode(&block, 5, 2).unwrap(), corner);
    // Dilation with the same square gives the block back (an opening keeps a solid block);
    // dilating the block by 3x3 fills the image; size 1 is the identity.
    assert_eq!(shift::dilate(&centre, 5, 3).unwrap(), block);
    assert_eq!(shift::dilate(&corner, 5, 2).unwrap(), block);
    assert_eq!(shift::dilate(&block, 5, 3).unwrap(), [1.0; 25]);
    assert_eq!(shift::erode(&block, 5, 1).unwrap(), block);
    // Grey values: the minimum and maximum of the neighbourhood.
    let ramp: Vec<f32> = (0..9).map(|v| v as f32 / 8.0).collect();
    assert_eq!(shift::erode(&ramp, 3, 3).unwrap()[4], 0.0);
    assert_eq!(shift::dilate(&ramp, 3, 3).unwrap()[4], 1.0);
    assert_eq!(shift::dilate(&ramp, 3, 3).unwrap()[0], 4.0 / 8.0);
    // Erosion by 2x2 at (0, 0) reads (0, 0), (0, 1), (1, 0), (1, 1).
    assert_eq!(shift::erode(&ramp, 3, 2).unwrap()[0], 0.0);
    assert_eq!(shift::erode(&ramp, 3, 2).unwrap()[4], 4.0 / 8.0);
}

#[test]
fn textures_are_seeded_in_range_and_not_flat() {
    let a = shift::texture(IMAGE_SIDE, 3);
    assert_eq!(a.len(), IMAGE_PIXELS);
    assert_eq!(shift::texture(IMAGE_SIDE, 3), a);
    assert_ne!(shift::texture(IMAGE_SIDE, 4), a);
    assert!(a.iter().all(|v| (0.0..=1.0).contains(v)));
    let (min, max) = a
        .iter()
        .fold((1.0f32, 0.0f32), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    // The brightness window is at least 0.3 wide and the texture fills it.
    assert!(max - min >= 0.29, "{min}..{max}");
}

#[test]
fn texture_blending_is_the_absolute_difference() {
    let out = shift::blend_difference(&[0.0, 1.0, 0.5], &[0.3, 0.3, 0.9]).unwrap();
    assert!(close(&out, &[0.3, 0.7, 0.4], 1e-6));
    let image = [1.0f32; IMAGE_PIXELS];
    let blended = DigitShift::Texture
        .apply_image(&image, IMAGE_SIDE, 9)
        .unwrap();
    let texture = shift::texture(IMAGE_SIDE, 9);
    assert!(close(&blended, &shift::invert(&texture), 1e-6));
    assert!(matches!(
        shift::blend_difference(&[0.0; 3], &[0.0; 4]),
        Err(DataError::LengthMismatch { .. })
    ));
}

#[test]
fn noise_backgrounds_stay_under_the_amplitude_and_keep_strokes() {
    let mut image = vec![0.0f32; IMAGE_PIXELS];
    image[..100].fill(1.0);
    let out = shift::add_noise(&image, 0.4, 1).unwrap();
    assert!(out[..100].iter().all(|&v| v == 1.0));
    let background = &out[100..];
    assert!(background.iter().all(|&v| (0.0..0.4).contains(&v)));
    let mean = background.iter().sum::<f32>() / background.len() as f32;
    assert!((mean - 0.2).abs() < 0.03, "mean {mean}");
    assert_eq!(shift::add_noise(&image, 0.4, 1).unwrap(), out);
    assert_ne!(shift::add_noise(&image, 0.4, 2).unwrap(), out);
}

#[test]
fn bad_arguments_are_typed_errors() {
    assert!(matches!(
        shift::rotate(&[0.0; 8], 3, 10.0),
        Err(DataError::ImageSize {
            side: 3,
            expected: 9,
            found: 8
        })
    ));
    assert!(matches!(
        shift::rotate(&[0.0; 9], 3, f64::NAN),
        Err(DataError::NonFiniteAngle(_))
    ));
    assert!(matches!(
        shift::erode(&[0.0; 10], 3, 3),
        Err(DataError::ImageSize { .. })
    ));
    assert!(matches!(
        shift::dilate(&[0.0; 9], 3, 0),
        Err(DataError::InvalidElementSize(0))
    ));
    assert!(matches!(
        DigitShift::Thin { size: 0 }.apply_image(&[0.0; 9], 3, 0),
        Err(DataError::InvalidElementSize(0))
    ));
    assert!(matches!(
        shift::add_noise(&[0.0; 4], 1.5, 0),
        Err(DataError::InvalidAmplitude(_))
    ));
    assert!(matches!(
        shift::add_noise(&[0.0; 4], f32::NAN, 0),
        Err(DataError::InvalidAmplitude(_))
    ));
    assert!(matches!(
        DigitShift::Invert.apply_image(&[0.0; 5], 2, 0),
        Err(DataError::ImageSize { .. })
    ));
    assert!(matches!(
        "mnist-svhn".parse::<SuitePair>(),
        Err(DataError::UnknownSuitePair { name, .. }) if name == "mnist-svhn"
    ));
}

#[test]
fn suite_names_round_trip() {
    let names: HashSet<&str> = SuitePair::ALL.iter().map(|p| p.name()).collect();
    assert_eq!(names.len(), SuitePair::ALL.len());
    for pair in SuitePair::ALL {
        assert_eq!(pair.name().parse::<SuitePair>().unwrap(), pair);
        assert_eq!(
            pair.to_string()
                .to_uppercase()
                .parse::<SuitePair>()
                .unwrap(),
            pair
        );
    }
}

#[test]
fn mnist_halves_are_disjoint_balanced_and_seeded() {
    let (source, target) = DigitsPair::suite_mnist_halves(5).unwrap();
    assert_eq!((source.len(), target.len()), (5_000, 5_000));
    for (s, t) in source.class_counts().iter().zip(target.class_counts()) {
        assert!(s.abs_diff(t) <= 1, "{s} vs {t}");
    }
    let source_keys = image_keys(&source);
    let target_keys = image_keys(&target);
    // MNIST's test split has no exact duplicate within a half, so the keys count the digits.
    assert!(source_keys.len() > 4_990 && target_keys.len() > 4_990);
    assert!(source_keys.is_disjoint(&target_keys));
    let (again, _) = DigitsPair::suite_mnist_halves(5).unwrap();
    assert_eq!(again, source);
    let (other, _) = DigitsPair::suite_mnist_halves(6).unwrap();
    assert_ne!(other, source);
}

#[test]
fn every_suite_pair_is_well_formed() {
    let seed = 11;
    let (source_half, target_half) = DigitsPair::suite_mnist_halves(seed).unwrap();
    let target_half_keys = image_keys(&target_half);
    for pair in SuitePair::ALL {
        let built = DigitsPair::suite(pair, seed).unwrap();
        let sets = [
            &built.source_train,
            &built.source_test,
            &built.target_train,
            &built.target_test,
        ];
        for set in sets {
            assert!(!set.is_empty(), "{pair}");
            assert_eq!(set.pixels().len(), set.len() * IMAGE_PIXELS, "{pair}");
            assert!(
                set.pixels().iter().all(|v| (0.0..=1.0).contains(v)),
                "{pair}: a pixel outside [0, 1]"
            );
            assert!(set.class_counts().iter().all(|&c| c > 0), "{pair}");
        }
        // The target's training and test digits are disjoint.
        assert!(
            image_keys(&built.target_train).is_disjoint(&image_keys(&built.target_test)),
            "{pair}"
        );
        if let Some(shift) = pair.shift() {
            assert_eq!(built.source_train.len(), 4_000, "{pair}");
            assert_eq!(built.source_test.len(), 1_000, "{pair}");
            assert_eq!(built.target_train.len(), 4_000, "{pair}");
            assert_eq!(built.target_test.len(), 1_000, "{pair}");
            // The source is the first half; the target the second half, shifted.
            let source_keys = image_keys(&source_half);
            assert!(image_keys(&built.source_train).is_subset(&source_keys));
            assert!(image_keys(&built.source_test).is_subset(&source_keys));
            // The target digits are none of the source's, and (where the shift can be
            // undone, for inversion) each is a digit of the other half.
            let target_keys = image_keys(&built.target_train);
            assert!(target_keys.is_disjoint(&source_keys), "{pair}");
            if shift == DigitShift::Invert {
                let half_bytes = quantised_keys(&target_half);
                for i in 0..built.target_train.len() {
                    let back = shift::invert(built.target_train.image(i).unwrap());
                    assert!(half_bytes.contains(&quantise(&back)), "{pair}: digit {i}");
                }
            }
            // The shift changed every digit.
            assert!(target_keys.is_disjoint(&target_half_keys), "{pair}");
        }
        // Same seed, same pair.
        assert_eq!(DigitsPair::suite(pair, seed).unwrap(), built, "{pair}");
    }
}

#[test]
fn the_reverse_pair_swaps_the_domains() {
    let forward = DigitsPair::suite(SuitePair::MnistToOptdigits, 2).unwrap();
    assert_eq!(forward, DigitsPair::embedded(2).unwrap());
    let reverse = DigitsPair::suite(SuitePair::OptdigitsToMnist, 2).unwrap();
    assert_eq!(reverse.source_train, forward.target_train);
    assert_eq!(reverse.source_test, forward.target_test);
    assert_eq!(reverse.target_train, forward.source_train);
    assert_eq!(reverse.target_test, forward.source_test);
}

#[test]
fn shifted_targets_differ_from_their_digits_as_described() {
    let seed = 4;
    let (_, half) = DigitsPair::suite_mnist_halves(seed).unwrap();
    let ink = |data: &DigitDataset| {
        data.pixels().iter().map(|&v| f64::from(v)).sum::<f64>() / data.len() as f64
    };
    let inverted = DigitShift::Invert.apply(&half, 0).unwrap();
    assert!((ink(&inverted) - (IMAGE_PIXELS as f64 - ink(&half))).abs() < 1e-3);
    let thinned = DigitShift::Thin { size: THIN_SIZE }
        .apply(&half, 0)
        .unwrap();
    let thickened = DigitShift::Thicken { size: 2 }.apply(&half, 0).unwrap();
    assert!(
        ink(&thinned) < 0.6 * ink(&half),
        "{} vs {}",
        ink(&thinned),
        ink(&half)
    );
    assert!(ink(&thickened) > 1.3 * ink(&half));
    // Most thinned digits keep some ink: the digit is thinner, not gone.
    let kept = (0..thinned.len())
        .filter(|&i| thinned.image(i).unwrap().iter().any(|&v| v > 0.5))
        .count();
    assert!(kept > thinned.len() * 9 / 10, "{kept} of {}", thinned.len());
    let noisy = DigitShift::NoiseBackground {
        amplitude: NOISE_AMPLITUDE,
    }
    .apply(&half, 0)
    .unwrap();
    let background_mean = |data: &DigitDataset| {
        let corner: Vec<f32> = (0..data.len()).map(|i| data.image(i).unwrap()[0]).collect();
        corner.iter().sum::<f32>() / corner.len() as f32
    };
    assert!((background_mean(&noisy) - NOISE_AMPLITUDE / 2.0).abs() < 0.02);
    // Rotation keeps the ink near the centre and roughly its amount.
    let rotated = DigitShift::Rotate {
        degrees: ROTATION_DEGREES,
    }
    .apply(&half, 0)
    .unwrap();
    assert!((ink(&rotated) / ink(&half) - 1.0).abs() < 0.05);
    // The images of one shift are drawn independently of each other: two identical inputs
    // get different textures.
    let twins = DigitDataset::new(vec![0.0; 2 * IMAGE_PIXELS], vec![1, 1]).unwrap();
    let textured = DigitShift::Texture.apply(&twins, 0).unwrap();
    assert_ne!(textured.image(0), textured.image(1));
}

#[test]
fn suite_moons_are_rotated_by_their_angles() {
    assert_eq!(MOONS_SUITE_DEGREES, [20.0, 35.0, 50.0]);
    for degrees in MOONS_SUITE_DEGREES {
        let config = MoonsConfig::new()
            .with_noise(0.0)
            .with_test_fraction(0.0)
            .with_angle_degrees(degrees);
        let pair = config.init().unwrap();
        // The upper moon's mean direction from the centre turns by the angle.
        let direction = |data: &shiftkit_data::PointDataset| {
            let (mut x, mut y) = (0.0, 0.0);
            for (&[px, py], &label) in data.points().iter().zip(data.labels()) {
                if label == 0 {
                    x += f64::from(px) - MOONS_CENTRE[0];
                    y += f64::from(py) - MOONS_CENTRE[1];
                }
            }
            y.atan2(x).to_degrees()
        };
        let turned =
            (direction(&pair.target_train) - direction(&pair.source_train)).rem_euclid(360.0);
        assert!((turned - degrees).abs() < 1e-3, "{degrees}: {turned}");
        let by_hand = moons::rotate(&pair.source_train, degrees, MOONS_CENTRE).unwrap();
        assert!((direction(&by_hand) - direction(&pair.target_train)).abs() < 1e-3);
    }
}

/// Per-class mean images of a data set.
fn centroids(data: &DigitDataset) -> Vec<Vec<f64>> {
    let counts = data.class_counts();
    let mut centroids = vec![vec![0.0; IMAGE_PIXELS]; counts.len()];
    for (i, &label) in data.labels().iter().enumerate() {
        let class = usize::from(label);
        for (sum, &v) in centroids[class].iter_mut().zip(data.image(i).unwrap()) {
            *sum += f64::from(v) / counts[class] as f64;
        }
    }
    centroids
}

/// Accuracy of the nearest-centroid classifier on a data set.
fn nearest_centroid_accuracy(centroids: &[Vec<f64>], data: &DigitDataset) -> f64 {
    let distance = |centroid: &[f64], image: &[f32]| -> f64 {
        centroid
            .iter()
            .zip(image)
            .map(|(m, &v)| (m - f64::from(v)).powi(2))
            .sum()
    };
    let correct = (0..data.len())
        .filter(|&i| {
            let image = data.image(i).unwrap();
            let nearest = (0..centroids.len())
                .min_by(|&a, &b| {
                    distance(&centroids[a], image).total_cmp(&distance(&centroids[b], image))
                })
                .unwrap();
            nearest == usize::from(data.labels()[i])
        })
        .count();
    correct as f64 / data.len() as f64
}

#[test]
fn every_suite_pair_is_a_domain_shift() {
    // A nearest-centroid classifier fitted on the source training digits reads the source
    // test digits well (about 81 % for MNIST, 90 % for optdigits) and loses at least 10
    // points on the target test digits (measured at seed 0: optdigits 40 %, MNIST from
    // optdigits 43 %, inverted 0.4 %, textured 19 %, noisy 69 %, rotated 38 %, thinned 54 %).
    for pair in SuitePair::ALL {
        let built = DigitsPair::suite(pair, 0).unwrap();
        let centroids = centroids(&built.source_train);
        let source = nearest_centroid_accuracy(&centroids, &built.source_test);
        let target = nearest_centroid_accuracy(&centroids, &built.target_test);
        assert!(source > 0.75, "{pair}: source {source}");
        assert!(
            target < source - 0.10,
            "{pair}: source {source}, target {target}"
        );
    }
}
