//! The dropout module on its own. A file of its own: it seeds the backend's global generator,
//! which would race with tests that draw weights in parallel threads.

use crate::common;
use common::serial;

use burn::tensor::Tensor;
use common::{Ad, Inner, input, to_vec};

/// The dropout module itself, with both kinds of mask: the kept share and the inverse scale in
/// training, the gradient equal to the mask, the identity in evaluation, and masks fixed by the
/// backend's seed.
#[test]
fn dropout_masks_keep_the_share_scale_and_gradient() {
    let _serial = serial();
    use burn::tensor::backend::Backend;
    use shiftkit_nn::{DropoutMasks, MaskDropout, NnError};

    let device = Default::default();
    for masks in [DropoutMasks::Host, DropoutMasks::Backend] {
        let dropout = MaskDropout::new(0.3, masks).unwrap();
        let ones = Tensor::<Ad, 2>::ones([200, 500], &device).require_grad();
        Ad::seed(&device, 5);
        let out = dropout.forward(ones.clone());
        let values = to_vec(out.clone());
        let scale = (1.0 / 0.7) as f32;
        let kept = values.iter().filter(|&&v| v != 0.0).count() as f64 / values.len() as f64;
        assert!((kept - 0.7).abs() < 0.01, "{masks:?}: kept {kept}");
        assert!(
            values.iter().all(|&v| v == 0.0 || (v - scale).abs() < 1e-4),
            "{masks:?}: kept values carry 1 / keep"
        );
        // d(sum(out)) / d(ones) is the mask itself.
        let grads = out.sum().backward();
        let gradient = to_vec(ones.grad(&grads).unwrap());
        assert_eq!(gradient, values, "{masks:?}: gradient is the mask");

        Ad::seed(&device, 5);
        assert_eq!(
            to_vec(dropout.forward(Tensor::<Ad, 2>::ones([200, 500], &device))),
            values,
            "{masks:?}: the seed fixes the mask"
        );
        let x = input::<Inner, 2>([3, 4], 2);
        assert_eq!(
            to_vec(dropout.forward(x.clone())),
            to_vec(x),
            "{masks:?}: evaluation"
        );
    }
    assert!(matches!(
        MaskDropout::new(1.0, DropoutMasks::Host),
        Err(NnError::InvalidDropout(_))
    ));
}
