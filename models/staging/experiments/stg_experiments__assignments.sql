{{ config(
    unique_key='assignment_id',
    post_hook="{{ forget_withdrawn_copies(source('experiments', 'assignments')) }}",
) }}
with

source as (
    {{ landed_records(source('experiments', 'assignments'), 'assignment_id') }}
),

renamed as (
    select
        record_key as assignment_id,
        {{ json_text('payload', '$.experiment_key') }} as experiment_key,
        {{ json_text('payload', '$.variant') }} as variant,
        {{ json_text('payload', '$.subject_type') }} as subject_type,
        {{ json_text('payload', '$.subject_id') }} as subject_id,
        {{ json_text('payload', '$.context.channel') }} as context_channel,
        {{ json_text('payload', '$.context.surface') }} as context_surface,
        {{ json_text('payload', '$.context.app_version') }} as context_app_version,
        {{ to_utc(json_text('payload', '$.assigned_at')) }} as assigned_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'assignment_id') }}
),

final as (
    select * from deduplicated
)

select * from final
