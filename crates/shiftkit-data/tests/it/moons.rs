//! Two moons: shapes, balance, geometry, the rotation, the pair, and bad arguments.

use shiftkit_data::moons::{self, MOONS_CENTRE};
use shiftkit_data::{DataError, MoonsConfig, PointDataset};

fn distance_to_centre([x, y]: [f32; 2]) -> f64 {
    (f64::from(x) - MOONS_CENTRE[0]).hypot(f64::from(y) - MOONS_CENTRE[1])
}

#[test]
fn moons_are_balanced_and_seeded() {
    let data = moons::two_moons(301, 0.1, 5).unwrap();
    assert_eq!(data.len(), 301);
    let ones = data.labels().iter().filter(|&&l| l == 1).count();
    assert_eq!((301 - ones, ones), (150, 151));
    assert!(data.labels().iter().all(|&l| l <= 1));
    assert_eq!(moons::two_moons(301, 0.1, 5).unwrap(), data);
    assert_ne!(moons::two_moons(301, 0.1, 6).unwrap(), data);
    // Shuffled: the labels are not in two runs.
    assert!(data.labels().windows(2).filter(|w| w[0] != w[1]).count() > 10);
}

#[test]
fn noiseless_moons_lie_on_their_half_circles() {
    let data = moons::two_moons(200, 0.0, 1).unwrap();
    for (&[x, y], &label) in data.points().iter().zip(data.labels()) {
        let (cx, cy) = if label == 0 { (0.0, 0.0) } else { (1.0, 0.5) };
        let radius = (f64::from(x) - cx).hypot(f64::from(y) - cy);
        assert!((radius - 1.0).abs() < 1e-6, "({x}, {y}) class {label}");
        if label == 0 {
            assert!(y >= -1e-6);
        } else {
            assert!(y <= 0.5 + 1e-6);
        }
    }
    // The centre is the mean of the noiseless moons.
    let n = data.len() as f64;
    let mean_x = data.points().iter().map(|p| f64::from(p[0])).sum::<f64>() / n;
    let mean_y = data.points().iter().map(|p| f64::from(p[1])).sum::<f64>() / n;
    assert!((mean_x - MOONS_CENTRE[0]).abs() < 1e-6);
    assert!((mean_y - MOONS_CENTRE[1]).abs() < 1e-6);
}

#[test]
fn rotation_preserves_distances_to_the_centre() {
    let data = moons::two_moons(500, 0.2, 9).unwrap();
    let rotated = moons::rotate(&data, 35.0, MOONS_CENTRE).unwrap();
    assert_eq!(rotated.labels(), data.labels());
    let mut moved = 0;
    for (&p, &q) in data.points().iter().zip(rotated.points()) {
        assert!((distance_to_centre(p) - distance_to_centre(q)).abs() < 1e-5);
        if p != q {
            moved += 1;
        }
    }
    assert!(moved > 490);
    // Counter-clockwise: (1.5, 0.25) turned by 90 degrees lands on (0.5, 1.25).
    let one = PointDataset::new(vec![[1.5, 0.25]], vec![0]).unwrap();
    let [x, y] = moons::rotate(&one, 90.0, MOONS_CENTRE).unwrap().points()[0];
    assert!((x - 0.5).abs() < 1e-6 && (y - 1.25).abs() < 1e-6);
    // A full turn is the identity, up to rounding.
    let back = moons::rotate(&data, 360.0, MOONS_CENTRE).unwrap();
    for (p, q) in data.points().iter().zip(back.points()) {
        assert!((p[0] - q[0]).abs() < 1e-5 && (p[1] - q[1]).abs() < 1e-5);
    }
}

#[test]
fn the_pair_has_the_configured_sizes_and_a_rotated_target() {
    let config = MoonsConfig::new();
    assert_eq!((config.n_samples, config.angle_degrees), (300, 35.0));
    let pair = config.init().unwrap();
    assert_eq!((pair.source_train.len(), pair.source_test.len()), (240, 60));
    assert_eq!((pair.target_train.len(), pair.target_test.len()), (240, 60));
    for set in [
        &pair.source_train,
        &pair.source_test,
        &pair.target_train,
        &pair.target_test,
    ] {
        let ones = set.labels().iter().filter(|&&l| l == 1).count();
        assert_eq!(ones * 2, set.len(), "each split keeps the classes balanced");
    }
    // Turning the target back by 35 degrees puts the class-0 moon above the class-1 one, as in
    // the source; un-rotated, the target's class means are turned by 35 degrees.
    let angle = |set: &PointDataset| {
        let mean = |label| {
            let pts: Vec<_> = set
                .points()
                .iter()
                .zip(set.labels())
                .filter(|&(_, &l)| l == label)
                .map(|(p, _)| *p)
                .collect();
            let n = pts.len() as f64;
            (
                pts.iter().map(|p| f64::from(p[0])).sum::<f64>() / n,
                pts.iter().map(|p| f64::from(p[1])).sum::<f64>() / n,
            )
        };
        let ((x0, y0), (x1, y1)) = (mean(0), mean(1));
        (y0 - y1).atan2(x0 - x1).to_degrees()
    };
    let turned = angle(&pair.target_train) - angle(&pair.source_train);
    assert!(
        (turned - 35.0).abs() < 5.0,
        "target turned by {turned} degrees"
    );

    assert_eq!(config.init().unwrap(), pair);
    assert_ne!(config.clone().with_seed(1).init().unwrap(), pair);
}

#[test]
fn bad_arguments_are_errors() {
    for bad in [-0.1, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            moons::two_moons(10, bad, 0),
            Err(DataError::InvalidNoise(_))
        ));
        assert!(matches!(
            MoonsConfig::new().with_noise(bad).init(),
            Err(DataError::InvalidNoise(_))
        ));
    }
    let data = moons::two_moons(10, 0.1, 0).unwrap();
    assert!(matches!(
        moons::rotate(&data, f64::NAN, MOONS_CENTRE),
        Err(DataError::NonFiniteAngle(_))
    ));
    assert!(matches!(
        moons::rotate(&data, 10.0, [f64::INFINITY, 0.0]),
        Err(DataError::NonFiniteCentre(_))
    ));
    assert!(matches!(
        MoonsConfig::new().with_angle_degrees(f64::NAN).init(),
        Err(DataError::NonFiniteAngle(_))
    ));
    assert!(matches!(
        MoonsConfig::new().with_test_fraction(1.2).init(),
        Err(DataError::InvalidTestFraction(_))
    ));
    assert!(moons::two_moons(0, 0.1, 0).unwrap().is_empty());
    assert_eq!(moons::two_moons(1, 0.0, 0).unwrap().labels(), &[1]);
}
