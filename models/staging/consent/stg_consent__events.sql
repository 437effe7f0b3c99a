{{ config(
    unique_key='consent_event_id',
    post_hook="{{ forget_withdrawn_copies(source('consent', 'events')) }}",
) }}
with

source as (
    {{ landed_records(source('consent', 'events'), 'consent_event_id') }}
),

renamed as (
    select
        record_key as consent_event_id,
        lower(trim({{ json_text('payload', '$.subject_type') }})) as subject_type,
        {{ json_text('payload', '$.subject_id') }} as subject_id,
        {{ normalize_identifier(
            "lower(trim(" ~ json_text('payload', '$.subject_type') ~ "))",
            json_text('payload', '$.subject_id'),
        ) }} as subject_normalized,
        {{ json_text('payload', '$.purpose') }} as purpose,
        {{ json_text('payload', '$.action') }} as action,  -- noqa: RF04
        {{ json_text('payload', '$.source') }} as source,  -- noqa: RF04
        {{ json_text('payload', '$.notice_version') }} as notice_version,
        {{ json_text('payload', '$.jurisdiction') }} as jurisdiction,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'consent_event_id') }}
),

final as (
    select
        consent_event_id,
        subject_type,
        {{ pseudonymize('subject_normalized', 'subject_type') }} as subject_key,
        case
            when subject_type in ('user_id', 'crm_id', 'anonymous_id') then subject_id
        end as subject_id_plain,
        purpose,
        action,
        action = 'opt_in' as is_opt_in,
        source,
        notice_version,
        jurisdiction,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from deduplicated
)

select * from final
