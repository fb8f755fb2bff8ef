"""Partners: what a recipient's own key reaches (policy 6.6-6.7): its inbox of leads, pulled,
acknowledged and answered with an outcome; nothing else."""
