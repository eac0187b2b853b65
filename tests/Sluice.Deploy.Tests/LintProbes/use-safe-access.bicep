// Deliberately bad: contains() and a conditional instead of the safe-access operator.
param settings object

output region string = contains(settings, 'region') ? settings.region : 'us'
